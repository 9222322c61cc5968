# The two set-up commands of the README. Each creates .venv and installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench bench-learning clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,sumo]"
	touch $(STAMP)

demo: $(STAMP)  ## train, backtest and report the quickstart scenario
	$(BIN)/fieldgym compare scenarios/quickstart.yaml

test: $(STAMP)  ## lint, format check and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)  ## environment throughput, written to reports/benchmarks/
	$(BIN)/pip install --quiet -c constraints.txt -e ".[bench]"
	$(BIN)/python benchmarks/throughput.py

bench-learning: $(STAMP)  ## long learning run against the classical optimum
	$(BIN)/fieldgym compare benchmarks/inventory_learning.yaml

clean:
	rm -rf $(VENV) runs
