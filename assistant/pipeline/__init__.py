"""The answer path, one module per stage: plan -> retrieve -> evidence -> read -> ground ->
decide -> write, wired by `path.stream`. Each stage takes the one before it's output and none
calls a later one (an import contract in pyproject.toml checks it)."""
