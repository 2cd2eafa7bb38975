# Fangkong: `make run` serves the demo city on SQLite; `make test` runs the
# whole suite on SQLite, then on PostgreSQL when DATABASE_URL points at one.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_PEOPLE ?= 20000
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: setup system-deps run test test-sqlite test-postgres lint format bench openapi clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP) system-deps
	@cd src/fangkong && DEBUG=1 ../../$(BIN)/fangkong compilemessages -v0

# Debian packages the platform and its tests use (CJK font for charts,
# chromium for page tests, wrk for benchmarks); installed only when missing.
system-deps:
	@sh scripts/system-deps.sh

run: setup
	DEBUG=1 $(BIN)/fangkong migrate --noinput -v0
	DEBUG=1 $(BIN)/fangkong demo --if-empty --people $(DEMO_PEOPLE)
	DEBUG=1 $(BIN)/fangkong ensure-admin
	@echo "Serving on http://$(HOST)/ (Ctrl-C stops)"
	DEBUG=1 $(BIN)/fangkong runserver $(HOST)

test: setup
	env -u DATABASE_URL $(BIN)/pytest -m "not postgres" $(PYTEST_ARGS)
	@case "$$DATABASE_URL" in \
	  postgres*) echo "== PostgreSQL: $$DATABASE_URL"; $(BIN)/pytest $(PYTEST_ARGS) ;; \
	  *) echo "== DATABASE_URL is not PostgreSQL: the PostgreSQL leg did not run" ;; \
	esac

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/fangkong makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(STAMP)
	DEBUG=1 $(BIN)/fangkong export_openapi_schema --api fangkong.api.api --indent 2 --sorted --output docs/openapi.json

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var build src/*.egg-info
