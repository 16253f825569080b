# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run dev test install install-test migrate demo lint format check-migrations messages browser-test bench bench-pages load clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(STAMP)
install-test: $(TEST_STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py demo --if-empty

## make run: install, migrate SQLite, load the demo company, start gunicorn + the task worker
## (both restarted if they exit; Ctrl+C, SIGTERM or SIGHUP stops both). `exec`: make passes
## SIGTERM to its child, which is then `kam serve` itself, never a shell in between.
## Another address: make run HOST=0.0.0.0 PORT=8080.
run: demo
	exec $(PY) manage.py serve --host $(HOST) --port $(PORT)

## make dev: the same with Django's auto-reloading development server instead of gunicorn.
dev: demo
	exec $(PY) manage.py serve --dev --host $(HOST) --port $(PORT)

## make test: lint, types (mypy), migrations check, the whole pytest suite on SQLite.
test: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy kam
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n 2 -q

.PHONY: typecheck
typecheck: $(TEST_STAMP)
	$(VENV)/bin/mypy kam

browser-test: $(TEST_STAMP)
	$(VENV)/bin/pytest -q -m browser -p no:xdist

format: $(TEST_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(STAMP)
	$(PY) manage.py makemessages -l ru --no-obsolete --add-location file \
		--ignore=tests --ignore=bench --ignore=scripts --ignore=docs --ignore=var
	$(PY) manage.py compilemessages -l ru

bench: $(TEST_STAMP)
	$(PY) bench/import_sales.py

## make bench-pages: every page, export and API read timed at 1× and 10× the demo company, with
## the budgets checked (bench/pages.py; PAGES_ARGS="--sizes 1,10,100 --database-url postgres://…").
bench-pages: $(TEST_STAMP)
	$(PY) bench/pages.py --check $(PAGES_ARGS)

## make load: Locust against `kam serve` on a 10x demo, 50 users for 3 minutes (bench/load.py).
load: $(STAMP)
	$(PIP) install --quiet -e '.[bench]'
	$(PY) bench/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var
