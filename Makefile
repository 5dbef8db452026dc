# Countdown: `make run` and `make test` do all the set-up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app:create_app
PORT ?= 5000
export PORT
# One public address for every process: honcho gives each process of the Procfile its own PORT
# (the worker gets PORT+100), so links in messages must not be built from PORT there.
BASE_URL ?= http://127.0.0.1:$(PORT)
export BASE_URL

.PHONY: run test lint-imports test-sqlite test-postgres bench install assets translations compile-translations extract-translations check-services migrate seed clean help

help:
	@echo "make run      install, migrate, load demo data, start web + Celery worker + beat on http://127.0.0.1:$(PORT)"
	@echo "make test     install and run the whole test suite on SQLite and on PostgreSQL"
	@echo "make bench    seed PostgreSQL at scale, measure pages under gunicorn and reminders sent per second"

# -- set-up ---------------------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.installed: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	cp node_modules/axe-core/axe.min.js static/vendor/axe.min.js
	touch $@

assets: static/vendor/.installed

compile-translations: $(VENV)/.installed
	$(BIN)/pybabel compile -f -d translations --statistics

extract-translations: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k nmarkup:1,2 -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching

install: $(VENV)/.installed assets compile-translations

# -- the two commands -----------------------------------------------------------------------------
migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

run: seed
	@echo "Countdown on http://127.0.0.1:$(PORT): log in as ops@example.com or tourist@example.com, password countdown-demo"
	$(BIN)/honcho start -f Procfile -p $(PORT)

test: install
	$(BIN)/python -m tests.services
	$(MAKE) --no-print-directory lint-imports
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

lint-imports: install
	$(BIN)/lint-imports --no-cache

test-sqlite: install
	COUNTDOWN_TEST_DB=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	COUNTDOWN_TEST_DB=postgresql $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m scripts.bench

clean:
	rm -rf $(VENV) node_modules static/vendor instance .pytest_cache
