# bcci — two commands: `make run` (install, migrate, demo data, serve) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find Python >= 3.12 (3.13 preferred): on PATH first, then under pyenv.
PYTHON ?= $(shell scripts/find-python)

.PHONY: run test venv messages install migrate demo serve bench lint schema clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "bcci needs Python 3.12 or newer (3.13 preferred); none found on PATH or under pyenv." >&2; \
	  echo "Install one (e.g. 'pyenv install 3.13') or run: make PYTHON=/path/to/python3.13 ..." >&2; exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then rm -rf $(VENV); fi
	@[ -x $(PY) ] || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Compiled translations (.mo) are built from the committed .po files, never committed.
messages: $(STAMP)
	@$(PY) -m babel.messages.frontend compile -d locale -D django --statistics 2>&1 | grep -v "^compiling" || true

install: venv

migrate: venv messages
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_units
	$(PY) manage.py load_calendar_overrides
	$(PY) manage.py load_demo
	$(PY) manage.py enqueue_daily

run: demo
	@echo "Serving http://127.0.0.1:8000 with the task worker (Ctrl-C stops both)."
	@$(PY) manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: venv messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .

schema: venv
	$(PY) manage.py spectacular --file docs/openapi.yaml --validate

bench: venv
	@set -e; for b in bench/*.py; do echo "== $$b"; $(PY) $$b; done

clean:
	rm -rf $(VENV) var/bcci.sqlite3*
