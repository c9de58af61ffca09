"""Finding passages in the index: the keyword index (BM25) and its files, hybrid retrieval with
the dense side in Chroma, periods that filter both, and questions about the corpus itself."""
