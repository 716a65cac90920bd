# Kỹ Năng Số — the two commands a newcomer runs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test test-browser lint format bench messages clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)
	@mkdir -p var/static var/media

demo: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo
	@echo "Serving http://$(HOST):$(PORT)/ (Ctrl+C stops the site and the background worker)"
	@trap 'kill $$workers 2>/dev/null' EXIT; \
	  $(PY) manage.py db_worker --queue-name default >var/worker.log 2>&1 & workers="$$!"; \
	  $(PY) manage.py db_worker --queue-name default >var/worker2.log 2>&1 & workers="$$workers $$!"; \
	  $(PY) manage.py runserver --noreload $(HOST):$(PORT)

test: install
	@if [ -x /usr/bin/chromium ]; then echo "Chromium found: browser journeys will run."; \
	 else echo "NOTE: /usr/bin/chromium is missing, so the browser journeys are SKIPPED (apt-get install chromium to run them)."; fi
	$(PY) -m pytest -q -p no:cacheprovider

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/bench_import.py

# Developers only (needs GNU gettext): collect strings into locale/*/LC_MESSAGES/django.po and compile
# the .mo files, which are committed so that users need no gettext.
messages: install
	$(PY) manage.py makemessages -l vi -l en --ignore=.venv --ignore=bench --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/kynangso.sqlite3* .pytest_cache
