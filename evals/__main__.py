"""`python -m evals` runs the eval command without the main `assistant` CLI."""

from .cli import eval_command

eval_command(prog_name="python -m evals")
