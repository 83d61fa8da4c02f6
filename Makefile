# Stocktake: `make demo` runs it, `make test` tests it. Both bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS := agent,scan,collector,postgres,dev
# sqlite (default) or postgresql: the database the test suite runs against.
TEST_DB ?= sqlite
PYTEST_ARGS ?=

.PHONY: help venv demo test test-postgresql bench clean

help:
	@echo "make demo             collector + this machine's agent on SQLite, at http://127.0.0.1:8000"
	@echo "make test             the test suite on SQLite (TEST_DB=postgresql for PostgreSQL)"
	@echo "make test-postgresql  the test suite on the PostgreSQL at 127.0.0.1:5432"
	@echo "make bench            the benchmarks (quick run)"

$(STAMP): pyproject.toml scripts/bootstrap-debian.sh
	bash scripts/bootstrap-debian.sh
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/python scripts/demo.py

test: venv
	STOCKTAKE_TEST_DB=$(TEST_DB) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgresql:
	$(MAKE) test TEST_DB=postgresql

bench: venv
	$(BIN)/python bench/ingest.py --db sqlite --quick
	$(BIN)/python bench/ingest.py --db postgresql --quick

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache
