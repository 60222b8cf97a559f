# The two commands: `make demo` (the whole flow) and `make test`. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_WORKERS ?= auto

.PHONY: setup demo test browser database lint bench bench-smoke mutation clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/civicid demo

# The browser and PostgreSQL first: when one cannot be installed, say so before a minute of
# set-up.
# One worker per core (pytest-xdist); tests that must not run beside each other share an
# xdist_group. A single file or test runs faster without workers: .venv/bin/pytest tests/x.py
test: browser database setup
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

# Debian's Chromium for the desk page's browser tests: installed with apt when missing.
browser:
	@.ci/chromium

# Debian's PostgreSQL for the tests of the stores on PostgreSQL: installed with apt when
# missing. Each test process starts a throwaway cluster of its own and stops it at the end.
database:
	@.ci/postgresql

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup database
	$(BIN)/python -m benchmarks

# Every benchmark at a tiny size (seconds): shows each still runs; its figures mean nothing.
bench-smoke: setup database
	$(BIN)/python -m benchmarks --smoke

# Mutation testing of the security-critical modules (slow; MODULES=civicid/jose.py, ARGS=--sample 30).
mutation: setup
	$(BIN)/python .ci/mutation $(ARGS) $(MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
