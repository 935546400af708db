# The two commands: `make run` (the console, on SQLite, with demo data) and `make test`.
# Set TEST_DATABASE_URL=postgresql+asyncpg://… to run the suite against PostgreSQL instead of SQLite.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: run test lint serve clean

$(BIN)/convene: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/convene
	$(BIN)/convene console

serve: $(BIN)/convene
	$(BIN)/convene serve

lint: $(BIN)/convene
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
