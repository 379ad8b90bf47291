# The interface people and CI use. Every target installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
ASSETS := src/airwave/web/static/build/.built

.PHONY: install demo serve test test-fast lint format bench lock clean

install: $(PY_STAMP) $(ASSETS)

$(PY_STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Airwave needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "$$(grep '^uv==' requirements.lock)"
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

$(JS_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Airwave's web assets need Node.js 20 and npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS): $(JS_STAMP) $(wildcard frontend/*)
	npm run --silent build
	touch $@

demo: install
	$(BIN)/airwave demo

serve: install
	$(BIN)/airwave serve

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not e2e"

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python -m bench.run

# Re-pin Python dependencies after editing pyproject.toml.
lock: $(PY_STAMP)
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) node_modules src/airwave/web/static/build .pytest_cache .mypy_cache .ruff_cache
