# Two commands matter: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=
DEV_ENV := DJANGO_DEBUG=1

.PHONY: run test lint format install bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or pass PYTHON=..."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py ensure_admin
	$(DEV_ENV) $(PY) scripts/devserver.py --port $(PORT)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The benchmark (bench/): writes BENCHMARKS.md, bench/results.json and bench/plot.png.
# e.g. make bench SIZES=1000,10000 BENCH_ARGS="--modes rest --latencies 0"
SIZES ?= 1000,10000,100000,1000000
BENCH_ARGS ?=
bench: $(VENV)/.installed
	$(PY) -m bench --sizes $(SIZES) $(BENCH_ARGS)
