# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORPUS ?= ../shared/corpus
CRON ?=

.PHONY: run test serve bench eval lint samples report clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/teian run --catalog data/samples/catalog.toml --data-dir data

test: $(STAMP)
	$(BIN)/python -m pytest -q

serve: $(STAMP)
	$(BIN)/teian serve --catalog sources.toml --data-dir data $(if $(CRON),--cron "$(CRON)")

report: $(STAMP)
	$(BIN)/teian report --data-dir data

bench: $(STAMP)
	CORPUS=$(CORPUS) $(BIN)/python -m benchmarks.run_all

eval: $(STAMP)
	$(BIN)/python -m benchmarks.eval_tables $(CORPUS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

samples: $(STAMP)
	$(BIN)/python -m tests.fixtures.make_samples data/samples

clean:
	rm -rf $(VENV) data/processed/* data/raw/* data/state
