# The two commands a newcomer types: `make run` and `make test`. Both are safe to repeat.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/karte
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-test lint test-sqlite test-postgres system-deps browser-deps messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: install, migrate, load the demo prefecture, serve on http://127.0.0.1:8000 with a worker
run: install system-deps
	$(BIN)/karte migrate --noinput
	$(BIN)/karte load_demo
	$(BIN)/karte serve

## make test: lint, the whole suite on SQLite (browser test included), then again on PostgreSQL
test: install-test system-deps browser-deps lint test-sqlite test-postgres

lint: install-test
	$(BIN)/ruff check karte tests benchmarks
	$(BIN)/ruff format --check karte tests benchmarks

test-sqlite: install-test
	$(BIN)/python -m pytest -n 2 --dist loadfile

# PostgreSQL is started when it is installed but down. CI must run this pass; elsewhere a machine
# without PostgreSQL skips it with a warning.
test-postgres: install-test
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && [ -d /etc/postgresql ]; then \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; sleep 2; fi
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser"; \
	elif [ -n "$$CI" ]; then echo "PostgreSQL is not reachable at 127.0.0.1:5432" >&2; exit 1; \
	else echo "warning: PostgreSQL is not reachable at 127.0.0.1:5432; the PostgreSQL pass was skipped" >&2; fi

# Pango for WeasyPrint's PDF kartes and Debian's Japanese fonts, installed with apt when missing.
system-deps:
	@if ! ldconfig -p | grep -q libpangoft2-1.0 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk >/dev/null; \
	fi

# Debian's chromium (never a downloaded browser) and Japanese fonts for the browser test, and pdftotext
# (poppler-utils) for the tests that read the PDF kartes' text.
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; \
	fi

## make messages: refresh and compile the Japanese catalogue after changing on-screen text
messages: install-test
	cd karte && ../$(BIN)/django-admin makemessages -l ja --no-obsolete --no-location && ../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) var test-results
