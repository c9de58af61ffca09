"""Several people chatting at once: answer times for 1, 2 and 4 concurrent chats (issue 32).

The real web chat is started in this process on 127.0.0.1 (the configured corpus and backend,
the model warmed up first), and each chat is a real Gradio client asking over HTTP, as a
browser tab does. The model answers one question at a time, first come first served, so the
p50 and p95 answer times grow with the chats; what must not happen is a lost answer, and each
waiting chat should have been told its place. Ratios within one run; no timing is asserted.

    python -m benchmarks.concurrency [--chats 1,2,4] [--rounds 2] [--json FILE]
    assistant bench --chats 1,2,4
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections.abc import Sequence

_PLACE = re.compile(r"Waiting for the model: (\d+) question")


def run_chats(chats: Sequence[int], rounds: int, say=print) -> dict:
    """For each number of chats, `rounds` rounds of that many questions asked at once."""
    from gradio_client import Client

    from assistant.engine import get_engine
    from assistant.settings import Settings
    from ui.app import launch

    questions = _questions()
    engine = get_engine(Settings())
    say("starting the chat and warming the reader up")
    demo = launch(engine.settings, "127.0.0.1", _free_port(), prevent_thread_lock=True, quiet=True)
    try:
        engine.warm()
        url = demo.local_url
        result: dict = {"backend": engine.settings.backend, "runs": []}
        k = 0
        for n in chats:
            times, places, lost = [], [], 0
            for _ in range(rounds):
                asked = [questions[(k + i) % len(questions)] for i in range(n)]
                k += n
                got = _at_once(Client, url, asked)
                for seconds, place, answered in got:
                    if answered:
                        times.append(seconds)
                        places.append(place)
                    else:
                        lost += 1
            row = {
                "chats": n, "questions": len(times) + lost, "answered": len(times), "lost": lost,
                "p50_s": round(statistics.median(times), 2) if times else None,
                "p95_s": round(_p95(times), 2) if times else None,
                "told_their_place": sum(p > 0 for p in places),
                "most_ahead": max(places, default=0),
            }
            say(_line(row))
            result["runs"].append(row)
        return result
    finally:
        demo.close()


def _at_once(Client, url: str, questions: Sequence[str]) -> list[tuple[float, int, bool]]:
    """Each question asked by a client of its own, all at once: (seconds, the most questions
    ahead it was told of, whether it got an answer)."""
    out: list = [None] * len(questions)

    def ask(i: int, question: str) -> None:
        client = Client(url, verbose=False)
        started = time.perf_counter()
        place, answered = 0, False
        try:
            job = client.submit(question, api_name="/chat")
            for output in job:
                chat = str(output[1]) if len(output) > 1 else ""
                found = [int(n) for n in _PLACE.findall(chat)]
                place = max([place, *found])
                answered = bool(output[0]) or answered
            final = job.outputs()[-1] if job.outputs() else None
            answered = answered or bool(final and final[0])
        except Exception:  # noqa: BLE001 - a lost answer is what this counts
            answered = False
        out[i] = (time.perf_counter() - started, place, answered)

    threads = [threading.Thread(target=ask, args=(i, q)) for i, q in enumerate(questions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _questions() -> list[str]:
    from evals.dataset import DEFAULT_SET, load_eval_set

    items, _ = load_eval_set(DEFAULT_SET)
    return [i.question for i in items if i.answerable and not i.history][:24]


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _line(row: dict) -> str:
    return (
        f"{row['chats']} chat(s): {row['answered']}/{row['questions']} answered, "
        f"p50 {row['p50_s']} s, p95 {row['p95_s']} s, {row['told_their_place']} told their "
        f"place (most {row['most_ahead']} ahead)"
    )


def format_table(result: dict) -> str:
    lines = [
        f"concurrent chats ({result['backend']})",
        "chats  answered  lost  p50 s  p95 s  told their place",
    ]
    for r in result["runs"]:
        lines.append(
            f"{r['chats']:>5}  {r['answered']:>8}  {r['lost']:>4}  {r['p50_s'] or '-':>5}  "
            f"{r['p95_s'] or '-':>5}  {r['told_their_place']} (most {r['most_ahead']} ahead)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m benchmarks.concurrency")
    parser.add_argument("--chats", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    chats = [int(c) for c in args.chats.split(",") if c.strip()]
    result = run_chats(chats, args.rounds)
    print(format_table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
