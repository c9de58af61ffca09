"""Every setting in one typed object, read from `ASSISTANT_*` environment variables.

Read once at the edge (the API call, a CLI command, the UI) and passed down; nothing below
reads the environment itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.corpus import MAX_ARTICLE_MB


class ComposerWeights(BaseModel):
    """How the extractive composer weighs a sentence (fitted on the seed eval before the split
    existed; README). Set one as e.g. ASSISTANT_COMPOSER__STORY_WEIGHT=0.3."""

    model_config = {"frozen": True}

    min_coverage: float = Field(
        0.25, ge=0, le=1, description="Share of the question's term weight a first sentence holds."
    )
    coverage_weight: float = Field(0.5, ge=0, description="Score per share of the question covered.")
    type_bonus: float = Field(0.1, ge=0, description="Score for holding the kind of thing asked.")
    context_weight: float = Field(
        0.2, ge=0, description="Score per share of the earlier turns' terms a sentence covers."
    )
    story_weight: float = Field(0.2, ge=0, description="Score for being in the conversation's story.")
    corroboration_margin: float = Field(
        0.04, ge=0, description="A further sentence this close to the first's score corroborates it."
    )
    min_gain: float = Field(
        0.15, ge=0, le=1, description="Share of the question a further sentence must newly cover."
    )
    before_credit: float = Field(
        0.5, ge=0, le=1,
        description="Credit for the question's terms found only in the sentence before ('this "
        "eastern territory' is the Donbas named there).",
    )
    unknown_weight: float = Field(
        0.5, ge=0,
        description="Weight, times the median idf, of each question word no passage holds (a "
        "paraphrase, or the very gap that makes the question unanswerable).",
    )
    earlier_turn_weight: float = Field(
        0.5, ge=0, description="Weight of an earlier turn's terms against the question's own."
    )
    story_articles: int = Field(
        3, ge=1, description="Most articles a conversation's story holds (each close to the best)."
    )
    story_share: float = Field(
        0.8, ge=0, le=1,
        description="Share of the best article's score another must reach to be in the story.",
    )
    repeat_share: float = Field(
        0.7, ge=0, le=1,
        description="A sentence whose words are this share in the previous answer repeats it.",
    )
    duplicate_overlap: float = Field(
        0.6, ge=0, le=1, description="Word overlap (Jaccard) at which two sentences say the same."
    )
    assign_width: int = Field(
        3, ge=1, description="Best sentences of each part tried when parts share sentences."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    corpus_dir: Path = Field(Path("seeds"), description="Folder of articles (.txt/.md, UTF-8).")
    data_dir: Path = Field(
        Path(".assistant"), description="Where the embedded Chroma index and caches live."
    )
    chroma_url: str | None = Field(
        None, description="http://host:port of a Chroma server; replaces the embedded store."
    )
    collection: str = Field("news", description="Name prefix of the Chroma collections.")
    backend: Literal["reader", "extractive", "openai", "llamacpp"] = Field(
        "reader",
        description="Who writes answers: reader (the packaged model, or the GGUF in "
        "llm_model_path; llamacpp is another name for it), openai (an OpenAI-compatible "
        "endpoint; same evidence and check), or extractive (quotes sentences; instant).",
    )
    llm_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible endpoint (backend=openai)."
    )
    llm_model: str = Field("local", description="Model name sent to the endpoint.")
    llm_api_key: str = Field("not-needed", description="API key for the endpoint, if it wants one.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for one LLM reply.")
    llm_max_tokens: int = Field(160, ge=16, le=4096, description="Most tokens in one LLM reply.")
    llm_model_path: Path | None = Field(
        None, description="Another GGUF file for the reader (runs in-process)."
    )
    model_dir: Path = Field(
        Path("~/.cache/news-assistant/models"),
        description="Where the packaged reader model is assembled, once per machine; shared by "
        "every data dir.",
    )
    llm_threads: int | None = Field(
        None, ge=1, description="CPU threads of the reader (default: all cores)."
    )
    llm_runtime: Literal["auto", "cyllama", "native"] = Field(
        "auto",
        description="What runs the reader's model: cyllama (the prebuilt wheel's llama.cpp, "
        "in-process, always installed), native (llama.cpp's llama-server built for this CPU "
        "by `make native`, on loopback), or auto: native when that build is there.",
    )
    llm_context: int = Field(
        4096, ge=512, description="The reader's (or the endpoint's) context window in tokens "
        "(prompt + reply).",
    )
    keyword_share: float = Field(
        0.3, ge=0, le=1,
        description="BM25's share of the fused retrieval score; the rest is cosine similarity "
        "(both scaled to the best hit).",
    )
    recent_share: float = Field(
        0.8, gt=0, le=1,
        description="For 'the latest on X': passages scoring at least this share of the best "
        "are the ones that answer, and among them the newest report leads.",
    )
    composer: ComposerWeights = Field(
        default_factory=ComposerWeights, description="The extractive composer's weights."
    )
    evidence_units: int = Field(
        5, ge=1, le=30,
        description="Best retrieved sentences or rows that become evidence passages (each "
        "widened to its neighbours). 5 vs 8 measured in DESIGN.md: 8 fixed two misses, cost "
        "~4 s more prompt, and the model dropped its markers more often.",
    )
    evidence_window: int = Field(
        1, ge=0, le=5, description="Sentences either side of each evidence unit."
    )
    evidence_tokens: int = Field(
        450, ge=100, le=3000,
        description="Most prompt tokens the evidence passages may take (a prompt token costs "
        "~20 ms on 2 cores).",
    )
    one_part_evidence_units: int = Field(
        0, ge=0, le=30,
        description="For a question of one part and one fact, not about a time, read by the "
        "model: best units made evidence (widened as evidence_units are), within "
        "one_part_evidence_tokens; 0 (the default): evidence_units and evidence_tokens, as for "
        "every question. 3 halves the reading and cost 1-3 answers in 53 on test (README).",
    )
    one_part_evidence_tokens: int = Field(
        250, ge=50, le=3000, description="Most evidence tokens of a question of one part and one fact."
    )
    first_read_tokens: int = Field(
        0, ge=0, le=3000,
        description="Read a question of one fact in two steps: first the best passages within "
        "this many tokens, and the rest only when nothing it copies grounds there (0: the whole "
        "evidence at once). Measured on dev in the README.",
    )
    check_agreed: bool = Field(
        True,
        description="Check an answer (the yes/no call) also when the model's phrase and the "
        "composer's pick ground in the same sentence; off, their agreement decides and the "
        "check's call is saved (measured on dev in the README).",
    )
    facts_reader: bool = Field(
        True,
        description="Read a question whose answer is several facts (what someone said, the "
        "objections, why, what happened) as a choice of sentences, answered with a list; off, "
        "every question is read for one copied phrase, as before issue 31 (for measuring).",
    )
    facts_choice: Literal["list", "check", "point"] = Field(
        "point",
        description="How the model chooses the sentences of several facts: list (it writes "
        "their numbers, one reply), check (each shown sentence asked about on its own, yes or "
        "no) or point (the probability it gives each sentence's number as the first of its "
        "list, read, not written). Measured on dev in the README.",
    )
    facts_point_share: float = Field(
        0.03, ge=0, le=1,
        description="With facts_choice=point: the share of the likeliest sentence's probability "
        "another needs to be chosen.",
    )
    facts_rounds: int = Field(
        1, ge=1, le=4,
        description="With facts_choice=list: times the model is asked for sentences; after the "
        "first, in the same conversation, for other sentences of the answer (the evidence stays "
        "in the KV cache). A second round took dev facts recall from 0.409 to 0.444 while the "
        "first list was free; since it holds at least facts_at_least, a second round adds "
        "nothing on dev, test or NewsArticles and costs 1.07x the time (README).",
    )
    facts_at_least: int = Field(
        4, ge=1, le=8,
        description="With facts_choice=list: fewest sentences the model's first list may hold "
        "(its grammar; NONE stays allowed, and fewer when fewer are shown). Left free, the model "
        "listed two or three and stopped; code drops a chosen sentence that is not a statement "
        "or, for 'what did X say', not X's. On the dev several-facts items, 1/2/3/4/5 gave facts "
        "recall 0.461/0.461/0.496/0.593/0.593 at citation precision 0.974-0.989 (README).",
    )
    facts_first_tokens: int = Field(
        0, ge=0, le=3000,
        description="With facts_choice=list: read several facts in two steps, the best "
        "evidence within this many tokens first (its list at least facts_at_least), then the "
        "rest in the same conversation, of which the model lists only new sentences (at least "
        "facts_more_least, or none); 0 reads it all at once. Off by default: with 375 (and 2 "
        "and 2) the first line came at 0.52x the time, but dev facts recall fell 0.593 -> "
        "0.558, in full 0.526 -> 0.421 (README).",
    )
    facts_more_least: int = Field(
        1, ge=1, le=8,
        description="With facts_first_tokens: fewest new sentences the second step's list holds "
        "(NONE stays allowed).",
    )
    facts_check_at: float = Field(
        0.5, ge=0, le=1,
        description="With facts_choice=check: the share of YES a sentence needs to be chosen.",
    )
    facts_evidence_units: int = Field(
        10, ge=1, le=40,
        description="For a question whose answer is several facts: best units made evidence "
        "(each widened by evidence_window). Measured on the dev several-facts items "
        "(benchmarks.evidence_budget --category several): facts in the evidence 0.62 at the "
        "single-fact budget, 0.82 with 10 units, 750 tokens and diversity 0.3.",
    )
    facts_evidence_tokens: int = Field(
        750, ge=100, le=3000, description="Most evidence tokens for a question of several facts."
    )
    facts_diversity: float = Field(
        0.3, ge=0, le=1,
        description="For several facts, units are taken by maximal marginal relevance: "
        "relevance less this times the likeness to a unit already taken (0: by rank alone).",
    )
    speaker_candidates: int = Field(
        120, ge=0, le=1000,
        description="For 'what did X say' (several facts, X named): passages searched for X's "
        "own words, which alone become the evidence, as only they can be kept (decide.said_by); "
        "0: X's words are not searched for apart.",
    )
    max_facts: int = Field(
        6, ge=1, le=20,
        description="Most sentences (facts) in an answer of several facts: as many as the "
        "model is told most answers need (three to six). 5 -> 6 measured in the README.",
    )
    same_fact: float = Field(
        0.6, gt=0, le=1,
        description="Two reports' sentences whose words overlap this much (Jaccard) state one "
        "fact: it is shown once, with both citations.",
    )
    max_question_chars: int = Field(
        2000, ge=100, le=20000,
        description="Longest question read; the chat shows the limit and a longer one is cut, "
        "with a notice saying so.",
    )
    max_parts: int = Field(
        4, ge=1, le=10,
        description="Most parts a question is read as ('How long ... and how many ...?'): text "
        "of more parts or sentences is pasted text, read once, whole.",
    )
    answer_ceiling_s: float = Field(
        60.0, gt=0,
        description="Most seconds of model time one question may take, from its turn at the "
        "model; past it, what was decided is the answer, marked partial.",
    )
    story_candidates: int = Field(
        80, ge=10, le=500,
        description="Passages a timeline or a summary of a story searches among.",
    )
    story_share: float = Field(
        0.6, gt=0, le=1,
        description="For a timeline or a story summary: passages scoring at least this share "
        "of the best are about the story.",
    )
    timeline_events: int = Field(
        8, ge=1, le=50,
        description="Most events a timeline lists; it says how many more there are and from "
        "when to when.",
    )
    timeline_learned: bool = Field(
        True,
        description="Rank a timeline's candidate events by the learned event score "
        "(story.EVENT_WEIGHTS, fitted on the dev timelines by benchmarks.event_score) among the "
        "statements at least timeline_share as relevant as the best; off: by relevance times "
        "the lead weight, at least story_share of the best.",
    )
    timeline_share: float = Field(
        0.4, gt=0, le=1,
        description="With timeline_learned: statements at least this share as relevant as the "
        "best are the candidate events (leave-one-out on dev: 0.6 / 0.4 / 0.2 gave export "
        "recall 0.43 / 0.46 / 0.46, seeds 0.27 / 0.38 / 0.35).",
    )
    timeline_per_article: int = Field(
        3, ge=1, le=20,
        description="Most events a timeline takes from one article. With the learned event "
        "score, on dev: 1 / 2 / 3 gave export recall 0.426 / 0.471 / 0.471 and seeds (a few "
        "long articles) 0.257 / 0.380 / 0.413.",
    )
    timeline_lead: float = Field(
        0.5, ge=0, le=10,
        description="A timeline's sentence scores 1 + this / (1 + its place in its article) "
        "times its relevance: reports tell what happened first, background after.",
    )
    summary_sentences: int = Field(5, ge=1, le=20, description="Sentences in a summary.")
    summary_lead: float = Field(
        8.0, ge=0, le=100,
        description="A summary's sentence weighs 1 + this / (1 + its place in its article) "
        "more: a report says what matters first. On the dev summaries (13 export articles, 5 "
        "seeds, 6 stories) 1 / 2 / 4 / 8 / 100 (the lead alone) covered 0.51 / 0.59 / 0.59 / "
        "0.59 / 0.63 of the export's key facts and 0.41 / 0.41 / 0.53 / 0.57 / 0.45 of the "
        "seeds' (README).",
    )
    summary_diversity: float = Field(
        0.5, ge=0, le=2,
        description="A summary's sentences are taken by centrality less this times the "
        "likeness to one already taken (maximal marginal relevance).",
    )
    followup: Literal["rewrite", "model"] = Field(
        "model",
        description="How a follow-up becomes the standalone question retrieval searches for: "
        "rewrite (pronouns and 'And on X?' filled in from the last turn, else the last question "
        "prepended; instant) or model (the reader condenses it, as llama-index's "
        "CondensePlusContextChatEngine does; a model call more). Measured in the README.",
    )
    answer_at: float = Field(
        0.55, ge=0, le=1,
        description="The verifier's share of YES (does the grounded sentence, with its "
        "neighbours, answer the question?) at or above which a grounded phrase is the answer; "
        "fitted on dev (README: 0.5-0.6 answer as many, 0.65 loses answers; 0.55 is the "
        "plateau's middle).",
    )
    unsure_at: float = Field(
        0.4, ge=0, le=1,
        description="At or above this share of YES (and below answer_at) the answer is 'not "
        "sure', with the closest passage shown as such; below it, a refusal. Fitted on dev.",
    )
    composer_candidate: bool = Field(
        True,
        description="When the model's grounded answer and the extractive composer's pick are "
        "different sentences, verify both and decide on the likelier (a second, short model "
        "call). Measured in the README.",
    )
    answer_form: Literal["phrase", "quote"] = Field(
        "quote",
        description="How an answer reads: quote (the grounded span, then the sentence it is in) "
        "or phrase (the span alone, '5 hours [1]'). Measured on dev in the README: the phrase "
        "alone drops what a short span leaves out (the second of two names).",
    )
    list_cap: int = Field(
        25, ge=1, le=500,
        description="Most articles listed for a question about the corpus ('Which articles "
        "mention X?'); the count is always given.",
    )
    list_variant_ratio: float = Field(
        94.0, ge=0, le=100,
        description="For a question about the corpus, a word of the topic written as a name "
        "(capitalised, not an acronym) also matches the indexed words spelt close to it: "
        "compared with accents folded (and y/i, see list_variant_y_length), at or above this "
        "rapidfuzz ratio (100: only those equal so; 94: also one letter more or fewer in a name "
        "of 8 letters or more). Measured on the NewsArticles export (python -m "
        "benchmarks.fuzzy_names): at 93 and below other people's names come in (Cameroon for "
        "Cameron, Orville for Oroville).",
    )
    list_variant_min_length: int = Field(
        5, ge=1,
        description="Names shorter than this many letters match only as written ('Bush' never "
        "'Rush', 'José' never 'Jose'); 99: no spelling variants (a particle before a hyphen, "
        "'al-', may still be left out).",
    )
    list_variant_y_length: int = Field(
        6, ge=1,
        description="In the ending of a name this many letters long, y and i are one letter "
        "('Sergey', 'Sergei'), and anywhere in a longer one ('Zelensky', 'Zelenskyy', "
        "'Zelenskiy'; 'Tatyana', 'Tatiana'); in shorter names they tell names apart (Smyth and "
        "Smith, Bryan and Brian, Henry and Henri).",
    )
    export_columns: dict[str, str] | None = Field(
        None,
        description="For a CSV or JSONL export whose columns aren't named as usual: which column "
        'holds each field, as JSON, e.g. {"text": "story", "date": "when"} (fields: id, title, '
        "date, url, text).",
    )
    index_batch: int = Field(
        1024, ge=1, description="Chunks embedded and committed together while indexing."
    )
    ground_max_skipped: int = Field(
        4, ge=0, le=20,
        description="Words of a sentence a copied phrase may leave out between its own and still "
        "be grounded there ('Witkoff and Kushner' in 'Steve Witkoff and adviser Jared Kushner').",
    )
    quote_share: float = Field(
        0.6, gt=0, le=1,
        description="A grounded span at least this share of its sentence is shown as the "
        "sentence alone, not as the span and then the sentence.",
    )
    max_article_mb: float = Field(
        MAX_ARTICLE_MB, gt=0,
        description="Article files larger than this many megabytes are skipped with a warning "
        "(checked from the file size, before reading), so one huge file can't stall or exhaust "
        "the indexing of the rest.",
    )
    fetch_timeout: float = Field(
        20.0, gt=0,
        description="Seconds one web request (a feed or a page: `assistant add`, `update`) may "
        "take, from connecting to its last byte.",
    )
    fetch_max_mb: float = Field(
        10.0, gt=0,
        description="Largest feed or page fetched, in megabytes as decoded; a bigger one is "
        "stopped at the limit and reported, not stored.",
    )
    fetch_max_redirects: int = Field(
        5, ge=0, le=30, description="Most redirects followed for one feed or page."
    )
    reply_cache: Path | None = Field(
        None,
        description="For measuring only: a folder where the model's replies are recorded and "
        "replayed by prompt, so an eval of the code after the model doesn't ask it again.",
    )
    ui_auth: str | None = Field(
        None, description="user:password to require a login in the web chat."
    )
    candidates: int = Field(40, ge=5, le=500, description="Passages each retriever returns.")
    max_citations: int = Field(3, ge=1, le=10, description="Most sentences in one answer.")
    min_similarity: float = Field(
        0.38, ge=-1, le=1, description="Below this best cosine similarity, the answer is a refusal."
    )

    def key(self) -> str:
        return self.model_dump_json()
