# Tutela — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TUTELA_HOME ?= var

.PHONY: run test install dev lint typecheck check pytest browser-deps bench soak clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: a working Tutela on http://127.0.0.1:8000 (embedded SQLite, in-process worker)
run: $(STAMP)
	$(BIN)/tutela init
	$(BIN)/tutela user bootstrap
	$(BIN)/tutela serve --host 127.0.0.1 --port 8000

## make test: lint, types, Django checks, migrations, and the whole test suite (DATABASE_URL picks the database)
test: $(STAMP) browser-deps lint typecheck check pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy tutela

check: $(STAMP)
	TUTELA_HOME=$$(mktemp -d) $(BIN)/python manage.py check --fail-level WARNING
	TUTELA_HOME=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run

pytest: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile -p no:cacheprovider

## browser tests drive Debian's chromium; install it when it is missing
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || { echo "cannot install chromium (need root and Debian's package archive)"; exit 1; }; }

## make messages: refresh the portal/dashboard catalogues and compile them (needs Debian's gettext)
messages: $(STAMP)
	cd tutela && TUTELA_HOME=$$(mktemp -d) ../$(BIN)/python ../manage.py makemessages -l fr -l nl --no-obsolete \
	  $(foreach d,accounts api breaches consent core/management core/migrations policy recipients retention rights subjects locale,--ignore=$(d)/*)
	for l in fr nl; do msgfmt --check-format -o tutela/locale/$$l/LC_MESSAGES/django.mo tutela/locale/$$l/LC_MESSAGES/django.po; done

## make bench: the full benchmark run on PostgreSQL (see bench/README.md)
bench: $(STAMP)
	$(BIN)/tutela bench run --subjects 1000000 --database postgres://postgres@127.0.0.1:5432/tutela_bench --save --json

## make soak: the load run of the test suite, for several minutes (error rate, latency, flat memory)
soak: $(STAMP)
	TUTELA_SOAK_SECONDS=120 $(BIN)/pytest -q -s -p no:cacheprovider tests/reliability/test_load.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
