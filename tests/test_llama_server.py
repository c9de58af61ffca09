"""The llama-server client (assistant/llm/server.py): its protocol against a stub server on
loopback, its start and stop through a stand-in binary, and the real native binary when it
is built (`make native`)."""

from __future__ import annotations

import json
import math
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.errors import BackendError
from assistant.llm.base import Cancel, Cancelled
from assistant.llm.server import LlamaServer, ServerModel, shares

ROOT = Path(__file__).resolve().parent.parent
PROMPT = [{"role": "user", "content": "Is it? Reply YES or NO."}]


def _top(**probs: float) -> list[dict]:
    """A canned `top_logprobs` list: token text -> probability."""
    return [
        {"id": i, "token": t, "bytes": list(t.encode()), "logprob": math.log(p)}
        for i, (t, p) in enumerate(probs.items())
    ]


# what the stub's first reply token looks like: "YES" 0.5, "Y" 0.1, "NO" 0.2, "Yes" 0.15 ...
FIRST = _top(YES=0.5, NO=0.2, Yes=0.15, Y=0.1, N=0.04)


class Stub(BaseHTTPRequestHandler):
    """llama-server's endpoints as the client uses them; every request body is recorded."""

    requests: list = []
    health: list = []  # status codes to answer /health with, then 200
    after: dict = {}  # the prompt's last token id -> the next token's top_logprobs

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/health":
            status = self.health.pop(0) if self.health else 200
            self._send(status, {"status": "ok" if status == 200 else "loading model"})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append((self.path, body))
        if self.path == "/apply-template":
            text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n"
                           for m in body["messages"])
            self._send(200, {"prompt": text + "<|im_start|>assistant\n"})
        elif self.path == "/tokenize":
            # a token per word, space and digit, ids from a hash (a digit d is 1000 + d): the
            # same text, the same tokens; a number is its digits, as Qwen's tokenizer has it
            pieces = re.findall(r"\d|[^\s\d]+|\s", body["content"])
            self._send(200, {"tokens": [_token_id(w) for w in pieces]})
        elif self.path == "/completion":
            if body.get("grammar") == "broken":
                self._send(400, {"error": {"code": 400, "message": "failed to parse grammar"}})
            elif body.get("stream"):
                self._stream(body)
            else:
                top = self.after.get(body["prompt"][-1], FIRST)
                self._send(200, {
                    "content": "YES", "stop": True, "id_slot": body["id_slot"],
                    "tokens_evaluated": len(body["prompt"]),
                    "timings": {"cache_n": 3, "prompt_n": len(body["prompt"]) - 3,
                                "prompt_ms": 250.0, "predicted_n": 1, "predicted_ms": 0.0},
                    "completion_probabilities": [
                        {"id": 0, "token": "YES", "logprob": math.log(0.5),
                         "top_logprobs": top[: body["n_probs"]]}
                    ],
                })
        else:
            self._send(404, {"error": {"message": "not found"}})

    def _stream(self, body: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = ["SENT", "ENCE: 1", "\nANSWER: x"]
        for i, piece in enumerate(pieces):
            event = {"content": piece, "stop": False, "tokens_predicted": i + 1}
            if body["n_probs"]:
                event["completion_probabilities"] = [
                    {"id": 1, "token": piece,
                     "top_logprobs": _top(SENT=0.6, S=0.1, NONE=0.2, NO=0.1) if i == 0 else
                     _top(x=1.0)}
                ]
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        final = {"content": "", "stop": True, "tokens_predicted": len(pieces),
                 "timings": {"cache_n": 2, "prompt_n": 5, "prompt_ms": 100.0,
                             "predicted_n": len(pieces), "predicted_ms": 60.0}}
        self.wfile.write(f"data: {json.dumps(final)}\n\n".encode())


def _token_id(piece: str) -> int:
    return 1000 + int(piece) if piece.isdigit() else sum(map(ord, piece))


def _digits(**probs: float) -> list[dict]:
    """A canned `top_logprobs` list over digit tokens: d1=0.5 is the token "1"."""
    return [{"id": _token_id(d[1:]), "token": d[1:], "logprob": math.log(p)}
            for d, p in probs.items()]


@pytest.fixture
def stub():
    Stub.requests = []
    Stub.health = []
    Stub.after = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def model(stub):
    import httpx

    url = f"http://127.0.0.1:{stub.server_address[1]}"
    server = SimpleNamespace(http=httpx.Client(base_url=url, trust_env=False), url=url,
                             model_path=Path("m.gguf"), n_ctx=4096, threads=2, load_s=0.0,
                             slots=2)
    yield ServerModel(server, n_probs=4)
    server.http.close()


def _completions() -> list[dict]:
    return [body for path, body in Stub.requests if path == "/completion"]


def test_choose_sends_the_prompt_as_tokens_cached_and_pinned_to_a_slot(model):
    got = model.choose(PROMPT, ("YES", "NO"))
    (body,) = _completions()
    assert body["cache_prompt"] is True
    assert body["id_slot"] in (0, 1)
    assert body["n_probs"] == 4 and body["n_predict"] == 1
    assert body["temperature"] == 0 and body["top_k"] == 1
    assert "grammar" not in body
    # the template's text, tokenized by the server with specials, sent as ids
    tokenize = [b for p, b in Stub.requests if p == "/tokenize"][0]
    assert tokenize["add_special"] and tokenize["parse_special"]
    assert tokenize["content"].startswith("<|im_start|>user\nIs it?")
    assert all(isinstance(t, int) for t in body["prompt"])
    assert model.last.prompt_tokens == len(body["prompt"]) and model.last.cached_tokens == 3
    assert model.last.prefill_s == pytest.approx(0.25) and model.last.generated_tokens == 0
    assert set(got) == {"YES", "NO"}


def test_shares_are_the_mass_of_tokens_that_begin_each_option_renormalised():
    # of the top 4 (n_probs=4): YES 0.5 + NO 0.2 + Y 0.1; "Yes" begins neither option
    got, tail = shares(FIRST[:4], ("YES", "NO"))
    assert got["YES"] == pytest.approx(0.6 / 0.8)
    assert got["NO"] == pytest.approx(0.2 / 0.8)
    assert tail == pytest.approx(0.1)  # no token left out is likelier than the last listed
    # all five: N counts for NO
    got, _ = shares(FIRST, ("YES", "NO"))
    assert got["NO"] == pytest.approx(0.24 / 0.84)
    # post-sampling entries carry "prob" instead of "logprob"
    post = [{"id": 1, "token": "NONE", "prob": 0.3}, {"id": 2, "token": "S", "prob": 0.1}]
    assert shares(post, ("NONE", "SENTENCE"))[0] == pytest.approx({"NONE": 0.75, "SENTENCE": 0.25})
    # neither option among the tokens: zero shares, as runtime._shares gives without openers
    assert shares(_top(Maybe=1.0), ("YES", "NO"))[0] == {"YES": 0.0, "NO": 0.0}
    # a token that is not whole UTF-8 begins nothing
    broken = [{"id": 3, "token": "", "bytes": [0xC3], "logprob": 0.0}]
    assert shares(broken, ("YES",))[0] == {"YES": 0.0}


def test_stream_parses_the_events_and_reads_the_first_tokens_shares(model):
    grammar = 'root ::= "NONE" | "SENTENCE: 1"'
    pieces = list(model.stream(PROMPT, 16, grammar, ("NONE", "SENTENCE")))
    assert "".join(pieces) == "SENTENCE: 1\nANSWER: x"
    (body,) = _completions()
    assert body["grammar"] == grammar and body["stream"] is True
    assert body["n_probs"] == 4 and body["n_predict"] == 16 and body["cache_prompt"] is True
    assert model.last_openings == pytest.approx({"NONE": 0.3 / 1.0, "SENTENCE": 0.7 / 1.0})
    last = model.last
    assert (last.cached_tokens, last.generated_tokens) == (2, 3)
    assert last.prefill_s == pytest.approx(0.1) and last.generate_s == pytest.approx(0.06)
    assert 0 < last.first_token_s


def test_stream_without_openings_asks_for_no_probabilities(model):
    list(model.stream(PROMPT, 8))
    (body,) = _completions()
    assert body["n_probs"] == 0 and "grammar" not in body
    assert model.last_openings == {}


def test_two_prompt_families_keep_their_own_slots(model):
    long = "the same long fixed instructions " * 20
    read = lambda q: [{"role": "system", "content": long}, {"role": "user", "content": q}]  # noqa: E731
    check = lambda q: [{"role": "user", "content": f"Text: {q} Does it answer?"}]  # noqa: E731
    model.choose(read("first question"), ("YES",))
    model.choose(check("a"), ("YES",))
    model.choose(read("second question"), ("YES",))
    model.choose(check("b"), ("YES",))
    slots = [b["id_slot"] for b in _completions()]
    assert slots[0] == slots[2] and slots[1] == slots[3] and slots[0] != slots[1]


def test_options_of_several_tokens_after_a_prefix_are_read_token_by_token(model):
    # after "SENTENCES: ": "1" 0.5, "2" 0.3 (and 0.2 on tokens that begin no option); after
    # "1": "2" 0.4, so "1" ends there with the rest
    Stub.after = {_token_id(" "): _digits(d1=0.5, d2=0.3, d7=0.2),
                  _token_id("1"): _digits(d2=0.4, d5=0.1)}
    got = model.choose(PROMPT, ("1", "2", "12"), prefix="SENTENCES: ")
    # held to the options: "1" 0.5/0.8, then it ends (0.6) or goes on to "12" (0.4)
    assert got == pytest.approx({"1": 0.625 * 0.6, "12": 0.625 * 0.4, "2": 0.375})
    first, second = _completions()
    assert second["prompt"] == [*first["prompt"], _token_id("1")]  # one token more, same slot
    assert second["id_slot"] == first["id_slot"] and second["cache_prompt"] is True
    assert model.last.prompt_tokens == len(first["prompt"])


def test_a_stop_ends_a_stream_at_once_and_the_model_answers_the_next_call(model):
    cancel = Cancel()
    pieces = []
    with pytest.raises(Cancelled, match="stopped"):
        for piece in model.stream(PROMPT, 16, None, (), cancel):
            pieces.append(piece)
            cancel.set()
    assert pieces == ["SENT"]
    assert set(model.choose(PROMPT, ("YES", "NO"))) == {"YES", "NO"}


def test_a_stop_given_before_a_call_sends_nothing(model):
    cancel = Cancel()
    cancel.set("time")
    with pytest.raises(Cancelled, match="time"):
        model.choose(PROMPT, ("YES", "NO"), cancel)
    assert _completions() == []


def test_a_server_error_is_a_backend_error(model):
    with pytest.raises(BackendError, match="failed to parse grammar"):
        list(model.stream(PROMPT, 8, "broken"))


def test_a_prompt_longer_than_the_context_is_refused(model):
    model.n_ctx = 8
    with pytest.raises(BackendError, match="more than the model's context"):
        model.choose([{"role": "user", "content": "word " * 20}], ("YES",))


# -- starting and stopping the process: a stand-in binary ------------------------------------

FAKE = f"""#!{sys.executable}
import sys
sys.path.insert(0, {str(ROOT)!r})
args = sys.argv[1:]
if "{{fail}}" == "yes":
    print("main: loading model", flush=True)
    print("llama_model_load: error loading model: tensor 'x' has wrong shape", flush=True)
    sys.exit(1)
from http.server import ThreadingHTTPServer
from tests.test_llama_server import Stub
Stub.health = [503, 503]
ThreadingHTTPServer((args[args.index("--host") + 1], int(args[args.index("--port") + 1])),
                    Stub).serve_forever()
"""


def _fake(tmp_path: Path, fail: bool) -> Path:
    binary = tmp_path / "llama-server"
    binary.write_text(FAKE.replace("{fail}", "yes" if fail else "no"))
    binary.chmod(0o755)
    return binary


def test_the_server_starts_on_loopback_waits_for_health_and_stops(tmp_path):
    model_file = tmp_path / "m.gguf"
    model_file.write_bytes(b"GGUF")
    server = LlamaServer(_fake(tmp_path, fail=False), model_file, threads=2, n_ctx=1024)
    try:
        assert server.url.startswith("http://127.0.0.1:") and server.running
        model = ServerModel(server)
        assert model.render(PROMPT).endswith("<|im_start|>assistant\n")
    finally:
        server.close()
    assert not server.running


KILLED = f"""
import sys, threading, time
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from assistant.llm.server import LlamaServer
started = []
# as the chat does it: the model is loaded from a thread that then ends
thread = threading.Thread(target=lambda: started.append(
    LlamaServer(Path(sys.argv[1]), Path(sys.argv[2]), threads=1, n_ctx=512)))
thread.start(); thread.join()
print(started[0]._proc.pid, flush=True)
time.sleep(600)
"""


def test_a_server_started_from_a_passing_thread_dies_with_a_killed_process(tmp_path):
    import os
    import signal
    import subprocess
    import time

    model_file = tmp_path / "m.gguf"
    model_file.write_bytes(b"GGUF")
    owner = subprocess.Popen([sys.executable, "-c", KILLED, str(_fake(tmp_path, fail=False)),
                              str(model_file)], stdout=subprocess.PIPE, text=True)
    try:
        server_pid = int(owner.stdout.readline())
        os.kill(server_pid, 0)  # alive after the thread that started it ended
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(server_pid, signal.SIGKILL)
            pytest.fail("the server outlived the process that started it")
    finally:
        owner.kill()


def test_a_failed_start_says_the_servers_last_error_line(tmp_path):
    model_file = tmp_path / "m.gguf"
    model_file.write_bytes(b"GGUF")
    with pytest.raises(BackendError, match="error loading model: tensor 'x' has wrong shape"):
        LlamaServer(_fake(tmp_path, fail=True), model_file, threads=2, n_ctx=1024)


def test_a_missing_binary_says_how_to_build_it(tmp_path):
    with pytest.raises(BackendError, match="make native"):
        LlamaServer(tmp_path / "llama-server", tmp_path / "m.gguf")


# -- the real native build -------------------------------------------------------------------


@pytest.fixture(scope="module")
def native_model():
    from assistant.llm import model_file
    from assistant.settings import Settings
    from benchmarks import native_build

    bin_dir = native_build.find()
    if bin_dir is None:
        pytest.skip("the native llama.cpp build is not there (make native)")
    path = model_file.packaged_model(Settings().model_dir)
    if path is None:
        pytest.skip("the reader model is not installed")
    model = ServerModel.launch(bin_dir / "llama-server", path, n_ctx=1024, threads=2)
    yield model
    model.close()


def test_the_native_server_holds_a_reply_to_the_grammar_and_shares_sum_to_one(native_model):
    from assistant.pipeline.decide import verify_prompt
    from assistant.pipeline.read import grammar

    messages = [{"role": "user", "content": "Text: [1] Smith won the race in Paris.\n"
                 "Question: Who won the race? Reply in the form SENTENCE: n / ANSWER: phrase."}]
    reply = "".join(native_model.stream(messages, 24, grammar(1), ("NONE", "SENTENCE")))
    assert reply == "NONE" or reply.startswith("SENTENCE: 1\nANSWER: ")
    assert sum(native_model.last_openings.values()) == pytest.approx(1.0)
    assert native_model.last.generated_tokens > 0 and native_model.last.prefill_s > 0
    got = native_model.choose(verify_prompt("Who won the race?", "Smith won the race.").messages,
                              ("YES", "NO"))
    assert sum(got.values()) == pytest.approx(1.0) and got["YES"] > 0.5


def test_the_native_server_points_as_the_in_process_runtime_does(native_model):
    """The pointing's options of several tokens ("1" ... "12") get the shares cyllama's
    llama.cpp gives them, within what two builds' arithmetic differs by."""
    from assistant.llm.readers import local_reader

    sentences = "\n".join(f"[{i}] Sentence {i} says the river rose by {i} metres."
                           for i in range(1, 13))
    messages = [{"role": "user", "content": f"{sentences}\nWhich sentences say the river rose "
                 "by 11 or 12 metres? Reply SENTENCES: numbers."}]
    options = tuple(str(i) for i in range(1, 13))
    native = native_model.choose(messages, options, prefix="SENTENCES: ")
    local = local_reader(native_model.path, 2, 1024).model.choose(
        messages, options, prefix="SENTENCES: ")
    assert sum(native.values()) == pytest.approx(1.0)
    assert max(abs(native[o] - local[o]) for o in options) < 0.1
    assert max(native, key=native.get) == max(local, key=local.get)


# -- which runtime the reader runs on --------------------------------------------------------


def _built(root: Path, server: Path) -> None:
    """A finished native build for this CPU under `root`, whose llama-server is `server`."""
    from assistant.llm import native

    bin_dir = root / native.build_key() / "bin"
    bin_dir.mkdir(parents=True)
    for target in native.TARGETS:
        (bin_dir / target).write_text("")
    (bin_dir / "llama-server").write_text(server.read_text())
    (bin_dir / "llama-server").chmod(0o755)
    (bin_dir / "BUILD.json").write_text("{}")


def test_without_a_native_build_the_reader_runs_in_process_unless_native_is_asked(
    tmp_path, monkeypatch
):
    from assistant.llm import readers

    monkeypatch.setenv("ASSISTANT_LLAMA_CPP_DIR", str(tmp_path / "none"))
    assert readers.server_binary("auto") is None
    assert readers.server_binary("cyllama") is None
    with pytest.raises(BackendError, match="make native"):
        readers.server_binary("native")


def test_a_native_build_that_fails_to_start_falls_back_under_auto_only(tmp_path, monkeypatch):
    from assistant.llm import readers
    from assistant.settings import Settings

    monkeypatch.setenv("ASSISTANT_LLAMA_CPP_DIR", str(tmp_path / "builds"))
    _built(tmp_path / "builds", _fake(tmp_path, fail=True))
    model_file = tmp_path / "m.gguf"
    model_file.write_bytes(b"GGUF")

    class InProcess(readers.LocalReader):
        def __init__(self, path, threads, n_ctx) -> None:
            self.path = path

    monkeypatch.setattr(readers, "LocalReader", InProcess)
    assert readers.server_binary("auto").name == "llama-server"
    reader = readers.model_reader(Settings(llm_runtime="auto", llm_context=1024), model_file)
    assert isinstance(reader, InProcess) and reader.runtime == ""
    with pytest.raises(BackendError, match="error loading model"):
        readers.model_reader(Settings(llm_runtime="native", llm_context=2048), model_file)
    assert isinstance(
        readers.model_reader(Settings(llm_runtime="cyllama", llm_context=4096), model_file),
        InProcess,
    )


def test_each_benchmark_side_finds_only_its_fixed_part_in_the_servers_slots(model):
    """Interleaved A/B on one server: before a side's turn every slot is cut to that side's
    fixed part of what it left there, so it never reuses the other side's evidence."""
    from benchmarks.reader_bench import SlotCaches

    caches = SlotCaches(model, {"a": 2, "b": 3})
    prompt = [{"role": "user", "content": "the same long evidence then a question"}]
    with caches.turn("a"):
        "".join(model.stream(prompt, 8))
    left_by_a = list(model._cached[0] or model._cached[1])
    Stub.requests = []
    with caches.turn("b"):  # b never ran: each slot is cut to one token
        assert all(len(tokens) == 1 for tokens in model._cached)
    with caches.turn("a"):
        # a finds its own fixed part (2 tokens) of what it left, and nothing in the other slot
        assert sorted(len(t) for t in model._cached) == [1, 2]
        assert left_by_a[:2] in model._cached
    cuts = [b for b in _completions() if b["n_predict"] == 1 and not b.get("stream")]
    assert len(cuts) == 4 and all(b["cache_prompt"] for b in cuts)  # 2 slots x 2 turns


def test_on_the_native_server_a_side_pays_for_what_the_other_side_read(native_model):
    from benchmarks.reader_bench import SlotCaches

    evidence = " ".join(f"Sentence {k} says the talks lasted {k} hours." for k in range(40))
    fixed = len(native_model._tokenize(native_model.render(
        [{"role": "system", "content": "Answer."}, {"role": "user", "content": "x"}]),
        add_special=True, parse_special=True)) - 6
    caches = SlotCaches(native_model, {"a": fixed, "b": fixed})
    for side in ("a", "b"):
        with caches.turn(side):
            "".join(native_model.stream(
                [{"role": "system", "content": "Answer."},
                 {"role": "user", "content": f"{evidence}\nQuestion ({side}): how long?"}], 2))
            assert native_model.last.cached_tokens <= fixed  # b did not reuse a's evidence
