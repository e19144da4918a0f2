# Two entry points for a fresh machine with only Python >= 3.11 and pip:
#   make run    set up .venv, then run scenarios/all.yaml (SCENARIO=... to change)
#   make test   set up .venv, then run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/all.yaml
ARGS ?=

.PHONY: run test setup lint clean

run: $(VENV)/.installed
	$(BIN)/python run_suite.py $(SCENARIO) $(ARGS)

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(ARGS)

setup: $(VENV)/.installed

lint: $(VENV)/.installed
	$(BIN)/ruff check .

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV)
