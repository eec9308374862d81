# Two commands: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: run test install install-test browser lint check-types unit e2e translations clean

run: install
	$(BIN)/surveyapp init-db
	$(BIN)/surveyapp demo
	@# the background worker (mail, reminders, recomputing scores) runs beside the server
	$(BIN)/surveyapp worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/surveyapp run --host $(HOST) --port $(PORT)

test: install-test browser translations
	$(BIN)/ruff check .
	$(BIN)/mypy
	url=$$(scripts/test-postgres.sh) && TEST_DATABASE_URL="$$url" $(BIN)/pytest -q -rs

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

# Message catalogues are compiled from the committed .po files.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d surveyapp/translations

# End-to-end tests drive Debian's Chromium; install it when it is missing (CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the end-to-end tests"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
	@command -v soffice >/dev/null 2>&1 || { \
	  echo "Installing Debian's LibreOffice Calc for the workbook tests"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    libreoffice-calc-nogui poppler-utils; }
	@command -v pdftotext >/dev/null 2>&1 || { \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q poppler-utils; }

unit: install-test translations
	$(BIN)/pytest -q -m "not e2e"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
