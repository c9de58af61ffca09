"""The refusal bias reaches the model as a first-token logit bias on the refusal phrase's
opening tokens, for answer prompts only (a condensed follow-up may well start with "NOT")."""

from __future__ import annotations

from assistant.evidence import Evidence
from assistant.reader import REFUSAL_PHRASE, LocalReader, build_prompt, condense_prompt


class Vocab:
    """A word is a token; a leading space makes another token, as in the real vocabulary."""

    def tokenize(self, text, add_special=False, parse_special=False):
        return [sum(map(ord, w)) + (1000 if text.startswith(" ") else 0) for w in text.split()]


class Model:
    vocab = Vocab()

    def __init__(self) -> None:
        self.calls: list[dict | None] = []

    def stream(self, messages, max_tokens, opening_bias=None):
        self.calls.append(opening_bias)
        yield "ok"


def test_only_the_answer_prompt_s_bias_reaches_the_model_on_the_refusal_s_openings(monkeypatch):
    import assistant.runtime

    model = Model()
    monkeypatch.setattr(assistant.runtime, "LocalModel", lambda *args, **kwargs: model)
    reader = LocalReader("fake.gguf", 1, 4096)
    evidence = Evidence("Who met Putin?", (), 0.9)

    list(reader.stream(build_prompt(evidence, "Who met Putin?", refusal_bias=1.5), 8))
    list(reader.stream(build_prompt(evidence, "Who met Putin?"), 8))
    list(reader.stream(condense_prompt("And him?", [("Who met Putin?", "Witkoff.")]), 8))

    openings = {Vocab().tokenize(REFUSAL_PHRASE)[0], Vocab().tokenize(" " + REFUSAL_PHRASE)[0]}
    assert len(openings) == 2
    assert model.calls == [{token: -1.5 for token in openings}, None, None]
