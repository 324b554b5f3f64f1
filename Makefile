# Phasegate — the two fresh-machine commands are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PG := $(VENV)/bin/phasegate
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3
WORKERS ?= 2
export PHASEGATE_WAREHOUSE ?= duckdb:///warehouse.duckdb

.PHONY: setup demo test validate-phase3 validate-phase4 lint bench clean

# Idempotent and quick: reinstalls only when pyproject.toml changed.
setup: $(STAMP)
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(PY) -m phasegate.demo.story

test: setup
	$(PY) -m pytest -n $(WORKERS) -q tests

validate-phase3: setup
	$(PG) gate phase3

validate-phase4: setup
	$(PG) gate phase4

lint: setup
	$(VENV)/bin/ruff check phasegate tests checks bench

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) reports .phasegate warehouse.duckdb
