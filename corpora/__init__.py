"""Public news corpora the evals and benchmarks measure on, read from pinned packages."""
