# Phasegate — the two fresh-machine commands are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PG := $(VENV)/bin/phasegate
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3
WORKERS ?= 2
export PHASEGATE_WAREHOUSE ?= duckdb:///warehouse.duckdb

.PHONY: setup emulator demo test browser validate-phase3 validate-phase4 lint bench clean

# Idempotent and quick: reinstalls only when pyproject.toml changed.
setup: $(STAMP)
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(PY) -m phasegate.demo.story

# The BigQuery emulator's own venv (it pins sqlglot<30.12): idempotent, for tests/test_bigquery_*.
EMULATOR_VENV := .phasegate/emulator-venv
EMULATOR_STAMP := $(EMULATOR_VENV)/.installed-stamp
emulator: $(EMULATOR_STAMP)
$(EMULATOR_STAMP): tests/emulator/requirements.txt
	@test -x $(EMULATOR_VENV)/bin/python || $(PYTHON) -m venv $(EMULATOR_VENV)
	$(EMULATOR_VENV)/bin/python -m pip install -q --disable-pip-version-check -r tests/emulator/requirements.txt
	@touch $(EMULATOR_STAMP)

test: setup browser emulator
	$(PY) -m pytest -n $(WORKERS) -q tests

# Headless Chromium for the report's browser test (tests/test_report_browser.py). Idempotent:
# installs Debian's `chromium` with apt-get only when no browser is on PATH and we are root;
# otherwise the browser test fails and says how to get one (it is never skipped).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || test -n "$$PHASEGATE_CHROMIUM" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (headless browser for the report test)"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
	      || echo "warning: apt-get could not install chromium; the browser test will fail" >&2; \
	  else \
	    echo "warning: chromium not found and cannot apt-get it (not root); the browser test will fail" >&2; \
	  fi; }

validate-phase3: setup
	$(PG) gate phase3

validate-phase4: setup
	$(PG) gate phase4

lint: setup
	$(VENV)/bin/ruff check phasegate tests checks bench

# Every bench runs, whatever the one before it found; the exit status says whether all met their targets.
bench: setup
	@missed=""; for b in bench/bench_*.py; do echo "== $$b (load average $$(cut -d' ' -f1-3 /proc/loadavg))"; \
	  $(PY) $$b || missed="$$missed $$b"; done; \
	if [ -n "$$missed" ]; then echo "targets missed or bench failed:$$missed"; exit 1; fi

clean:
	rm -rf $(VENV) reports .phasegate warehouse.duckdb
