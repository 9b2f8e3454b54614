# The README's two commands are `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint bench clean

$(BIN)/python:
	py=$$(scripts/find-python) && "$$py" -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

run: $(VENV)/.installed   ## install, load the demo scenario, start the dashboard
	$(BIN)/forecast init
	$(BIN)/forecast demo
	$(BIN)/forecast dashboard --port $(PORT)

test: $(VENV)/.installed-test   ## install the test dependencies, lint, and run the whole suite
	$(BIN)/ruff check forecast dashboards tests benchmarks
	$(BIN)/mypy forecast
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(VENV)/.installed-test
	$(BIN)/ruff check forecast dashboards tests benchmarks
	$(BIN)/mypy forecast

bench: $(VENV)/.installed-test
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
