"""The README's commands exist as written: every `assistant ...` line of its shell blocks names
a command and options the CLI has (parsed by click itself, nothing is run), and every `make`
target it names is in the Makefile."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from assistant.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(?:bash|sh)\n(.*?)```", README, re.S)
LINES = [
    line.split("  #")[0].strip()
    for block in BLOCKS
    for line in block.splitlines()
    if line.strip() and not line.strip().startswith("#")
]


def _assistant_args(line: str) -> list[str] | None:
    """The arguments after `assistant` (or `python -m assistant`), env assignments skipped."""
    words = shlex.split(line)
    while words and re.match(r"^[A-Z_]+=", words[0]):
        words = words[1:]
    if words[:3] == ["python", "-m", "assistant"]:
        return words[3:]
    return words[1:] if words[:1] == ["assistant"] else None


COMMANDS = [args for args in map(_assistant_args, LINES) if args is not None]


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a)[:60] for a in COMMANDS])
def test_each_documented_command_parses(args):
    """Each word names a command of the group before it, and each --option is one of its
    command's options (values are not checked: a path in the README need not exist here)."""
    ctx = click.Context(cli)
    command: click.Command = cli
    for word in args:
        if word.startswith("--"):
            names = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
            assert word.split("=")[0] in names, f"{command.name} has no {word}: assistant {args}"
        elif isinstance(command, click.Group):
            found = command.get_command(ctx, word)
            assert found is not None, f"no command {word!r} in: assistant {' '.join(args)}"
            command = found


def test_each_make_target_named_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    named = {w.split()[1] for w in LINES if w.startswith("make ")}
    assert named and named <= targets, named - targets
