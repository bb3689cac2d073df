# Two commands on a fresh machine: `make run` and `make test`. Everything else is here for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export BYLINE_DATA_DIR ?= $(CURDIR)/data
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres lint format chromium screenshots clean bench-tools bench bench-quick

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The installed project, redone when its dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's Chromium (never a browser downloaded by a test tool); the deploy test runs
# the shipped nginx.conf under nginx; the page benchmark's own tests drive wrk.
chromium:
	@if ! command -v chromium >/dev/null 2>&1 || ! PATH="$$PATH:/usr/sbin" command -v nginx >/dev/null 2>&1 \
	    || ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Chromium, nginx and wrk with apt-get (the tests need them)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core nginx wrk >/dev/null; \
	  else \
	    echo "The tests need Chromium, nginx and wrk: run 'sudo apt-get install chromium nginx wrk' (Debian/Ubuntu) and try again."; \
	    exit 1; \
	  fi; \
	fi

# The page benchmark drives Byline with wrk and serves static pages with nginx: Debian's packages.
bench-tools:
	@missing=""; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing$$missing with apt-get (bench/pages.py needs them)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "bench/pages.py needs$$missing: run 'sudo apt-get install$$missing' (Debian/Ubuntu) and try again."; \
	    exit 1; \
	  fi; \
	fi

# Page speed under load at 100,000 stories (the first run generates the site: a few minutes).
bench: $(VENV)/.dev-installed bench-tools
	$(BIN)/python bench/pages.py

bench-quick: $(VENV)/.dev-installed bench-tools
	$(BIN)/python bench/pages.py --quick

run: $(VENV)/.installed
	$(BIN)/byline migrate --noinput -v0
	$(BIN)/byline collectstatic --noinput -v0
	$(BIN)/byline demo --if-empty
	$(BIN)/byline serve

test: $(VENV)/.dev-installed node_modules/.installed chromium
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	env -u DATABASE_URL $(BIN)/pytest -q

# The same suite on PostgreSQL when one answers (CI has one; TEST_DATABASE_URL picks another).
test-postgres:
	@url="$${TEST_DATABASE_URL:-$(PG_URL)}"; \
	if $(BIN)/python -c "import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$$url" 2>/dev/null; then \
	  echo "Running the suite on PostgreSQL ($$url)"; \
	  DATABASE_URL="$$url" $(BIN)/pytest -q; \
	elif [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "TEST_DATABASE_URL is set but PostgreSQL does not answer at $$url"; exit 1; \
	else \
	  echo "No PostgreSQL at $$url: suite ran on SQLite only."; \
	fi

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

screenshots: $(VENV)/.dev-installed chromium
	$(BIN)/python docs/screenshots/take.py

clean:
	rm -rf $(VENV) node_modules
