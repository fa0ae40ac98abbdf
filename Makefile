# Two commands set everything up on a fresh machine with python3 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
# make test spreads test files over every core (pytest-xdist; one file stays in one worker, so a module's
# servers and fixtures are shared as before); TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto

export PREFECT_SERVER_ANALYTICS_ENABLED = false
export DO_NOT_TRACK = 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS = 90

.PHONY: demo test lint bench bench-e2e install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Run the whole nightly pipeline offline against the bundled demo mirror.
demo: $(VENV)/.installed
	$(BIN)/pressroom demo

## ruff + mypy + the whole test suite (no network needed).
test: $(VENV)/.installed-dev lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy pressroom

## Benchmarks (never part of make test).
bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m pytest tests/benchmarks -s -o python_files="bench_*.py" $(PYTEST_ARGS)

## End-to-end backfill benchmark: N releases from four local sites with faults (PRESSROOM_BENCH_RELEASES,
## default "2000,10000"); writes tests/benchmarks/results/e2e.json. Takes minutes; never part of make test.
bench-e2e: $(VENV)/.installed-dev
	$(BIN)/python -m pytest tests/benchmarks/bench_e2e.py -s -o python_files="bench_*.py" -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
