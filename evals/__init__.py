"""The known-facts eval set and the harness that scores the assistant against it.

Nothing here imports the assistant at module level: the harness receives `answer` as a
function, so the scoring can be unit-tested with hand-made answers and the CLI stays fast.
"""
