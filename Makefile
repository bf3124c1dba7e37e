# make demo  — set everything up and run the monthly job on the embedded default
# make test  — set everything up and run the whole suite (SQLite and PostgreSQL)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test setup system-packages python-packages assets bench lint clean

demo: setup
	$(PY) scripts/demo.py

# Lint first (a minute); then unit and integration tests run on both cores; the
# end-to-end tests (browsers, LibreOffice, real service processes) one at a time.
test: system-packages setup lint
	$(PY) -m pytest -n 2 --ignore=tests/e2e $(PYTEST_ARGS)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

setup: python-packages assets

python-packages: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml setup.py codeservice/documents/_spin.c
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

assets: node_modules/.installed
node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch $@

system-packages:
	scripts/install-system-packages.sh

# The goals as ratios, each baseline measured in the same run; BENCH_ARGS=--quick is smaller.
bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy codeservice mailer scheduler
	$(PY) -m mypy bench  # the benchmarks call the use cases: a changed signature fails here
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
