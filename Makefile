# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
KG := $(BIN)/klimatgraf
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install install-test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# CPU torch first, exactly this version (a local wheel); anything else pulls a CUDA build.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[st,test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(KG) build
	@echo "--- twin/pioneer pairs (klimatgraf query twins) ---"
	$(KG) query twins
	@echo "--- SHACL (klimatgraf validate) ---"
	$(KG) validate
	@echo "--- search: vem arbetar med matsvinn? ---"
	$(KG) search "vem arbetar med matsvinn?" --group municipality -k 3

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
