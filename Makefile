# Two commands: `make demo` runs the whole product; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The public labelled data for `make eval` / `make model` (not part of the repository).
EVALDATA ?= ../shared/evaldata
# Optional: a folder of other public labelled sentiment data (see docs/triage-quality.md); empty = not used.
EXTRADATA ?=

# Test processes for `make test` (pytest-xdist): one per core; 0 runs them in this process.
TEST_WORKERS ?= auto
# The tests keep Python's compiled modules (and pytest's rewritten test modules) between runs and
# processes, even where the environment says not to write them: otherwise every test process
# compiles the whole project again (about 7 s of CPU each).
TESTENV := PYTHONDONTWRITEBYTECODE=

.PHONY: demo test test-slow install bench eval model clean

demo: $(STAMP)
	$(BIN)/python -m socialdesk.demo

# Everything but the browser tests and the tests marked slow, each test module whole on one of the
# workers (a module's shared world is built once): the quick loop, under 4 minutes on 2 cores.
# `make test-slow` runs the rest (CI runs both): the browser tests (Chromium, a live desk) over the
# workers, then the slow ones one at a time: real processes, fault injection, and the benchmarks,
# whose timing floors want the machine to themselves.
test: $(STAMP)
	$(TESTENV) $(BIN)/python -m pytest -m "not slow and not browser" -n $(TEST_WORKERS) --dist loadfile

test-slow: $(STAMP)
	$(TESTENV) $(BIN)/python -m pytest -m "browser and not slow" -n $(TEST_WORKERS) --dist loadfile
	$(TESTENV) $(BIN)/python -m pytest -m slow

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/dealing.py
	$(BIN)/python bench/triage.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/search.py --sizes 20000

# Score triage on the held-out split and write docs/triage-quality.md.
eval: $(STAMP)
	$(BIN)/python -m socialdesk.triage.training.evaluate --data $(EVALDATA) $(if $(EXTRADATA),--extradata $(EXTRADATA)) --out docs/triage-quality.md

# Retrain the committed type and sentiment models (socialdesk/triage/data/*.npz) on the train split.
model: $(STAMP)
	$(BIN)/python -m socialdesk.triage.training.train --data $(EVALDATA) $(if $(EXTRADATA),--extradata $(EXTRADATA))

clean:
	rm -rf $(VENV) var .pytest_cache
