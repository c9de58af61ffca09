"""The model backends: the packaged GGUF in-process (llama.cpp through cyllama), an
OpenAI-compatible endpoint, the packaged model file, and recorded replies for measuring."""
