# stockbridge: `make demo` to try it, `make test` to check it.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install demo serve test test-fast lint format bench migrate clean

help:
	@echo "make demo     run the demo: SQLite, sample data, API on http://127.0.0.1:8000"
	@echo "make test     install what is missing, lint, type-check, test on SQLite and PostgreSQL"
	@echo "make serve    run the server with your settings (.env / STOCKBRIDGE_*)"
	@echo "make bench    run the benchmarks, results in bench/results/"
	@echo "make lint     ruff and mypy only"

install:
	@scripts/bootstrap.sh

demo: install
	$(BIN)/stockbridge demo

serve: install
	$(BIN)/stockbridge db upgrade
	$(BIN)/stockbridge serve

lint: install
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy

test: install lint
	@scripts/services.sh
	$(BIN)/pytest

# The suite on SQLite only, without lint: for a quick loop while editing.
test-fast: install
	STOCKBRIDGE_TEST_BACKENDS=sqlite $(BIN)/pytest -q -x

format: install
	$(BIN)/ruff check --fix src tests bench migrations
	$(BIN)/ruff format src tests bench migrations

bench: install
	@scripts/services.sh
	$(BIN)/python -m bench.inventory
	$(BIN)/python -m bench.adapters
	$(BIN)/python -m bench.sync
	$(BIN)/python -m bench.orders

migrate: install
	$(BIN)/stockbridge db upgrade

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis var
