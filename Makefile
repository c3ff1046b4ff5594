# Two commands on a fresh machine with only Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export WMS_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/wms.db
export WMS_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run worker test fuzz bench soak install test-install migrate demo translations catalogs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installing the package also compiles the message catalogs, so the app starts translated.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	$(MAKE) --no-print-directory catalogs
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

catalogs: $(BIN)/python
	$(BIN)/python -m babel.messages.frontend compile --directory web/translations --statistics

migrate: install
	$(BIN)/wms db upgrade

demo: migrate
	@if [ ! -f instance/.demo-loaded ]; then $(BIN)/wms demo load && touch instance/.demo-loaded; fi

# Serves the web app and, beside it, a background consumer on the embedded SQLite queue in
# instance/ (customs outbox, receipts, webhooks, alerts and deadlines run by themselves).
run: demo
	@echo
	@echo "  Lanzhou WMS: http://127.0.0.1:8000"
	@echo "  Demo logins (password Lanzhou-2026): admin, supervisor, operator, dispatcher,"
	@echo "  returns, customs, owner"
	@echo
	$(BIN)/wms run --host 127.0.0.1 --port 8000 --with-worker

# A background consumer on its own (production runs it on worker hosts: see README).
worker: migrate
	$(BIN)/wms worker

test: $(VENV)/.test-installed catalogs
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The long fuzz of the API (tests/fuzz): 200 generated requests per operation plus the
# coverage cases of every declared bound; make test runs the same test with 2 each.
fuzz: $(VENV)/.test-installed catalogs
	WMS_FUZZ_EXAMPLES=$${WMS_FUZZ_EXAMPLES:-200} WMS_FUZZ_COVERAGE=1 \
		$(BIN)/python -m pytest tests/fuzz $(PYTEST_ARGS)

# Every figure of issue 18 against its floor, on WMS_BENCH_DATABASE_URL (SQLite when unset;
# PostgreSQL: each script works in a schema of its own). BENCH_ARGS=--quick for small sizes.
bench: $(VENV)/.test-installed
	@for script in $(sort $(wildcard bench/*.py)); do \
		case $$script in bench/common.py|bench/soak.py) continue;; esac; \
		echo "== $$script"; \
		if grep -q "^from common import" $$script; then \
			$(BIN)/python $$script $(BENCH_ARGS) || exit 1; \
		else $(BIN)/python $$script || exit 1; fi; done

# Ten minutes of mixed load behind gunicorn with a worker, then the ledger and the worker's
# memory are checked (bench/soak.py); SOAK_SECONDS=60 make soak to try it short.
soak: $(VENV)/.test-installed
	$(BIN)/python bench/soak.py

# After changing user-facing strings: extract them and merge into both catalogs.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _ -k _l -k N_ -k lazy_gettext -k ngettext:1,2 \
		-k pgettext:1c,2 -k npgettext:1c,2,3 -k lazy_pgettext:1c,2 \
		--no-location --omit-header -w 100 -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations -w 100 --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache
