# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
KG := $(BIN)/klimatgraf
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test test-reliability install clients store lint bench screenshot clean

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

# Independent real clients for the tests: npm packages (graphology-gexf, rdf-validate-shacl,
# @comunica/query-sparql) and Debian tools (rapper from raptor2-utils, xmllint from
# libxml2-utils, headless chromium for the browser tests driven by Playwright, wrk for the load test).
clients: tests/clients/node_modules/.installed
	@command -v rapper >/dev/null && command -v xmllint >/dev/null && command -v chromium >/dev/null && command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq raptor2-utils libxml2-utils chromium wrk >/dev/null; \
	  else echo "install raptor2-utils, libxml2-utils, chromium and wrk (sudo apt-get install raptor2-utils libxml2-utils chromium wrk)"; exit 1; fi; }

tests/clients/node_modules/.installed: tests/clients/package.json tests/clients/package-lock.json
	cd tests/clients && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A real triple store for tests/test_store.py, which starts its own virtuoso-t (never the system
# service): Debian's Virtuoso Open Source 7 binaries, a package without debconf questions.
store:
	@command -v virtuoso-t >/dev/null && command -v isql-vt >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource-7-bin >/dev/null; \
	  else echo "install Virtuoso (sudo apt-get install virtuoso-opensource-7-bin)"; exit 1; fi; }

# Two pytest-xdist workers (CI has 2 cores), whole files to a worker so module fixtures are made once;
# PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
test: install clients store lint
	$(BIN)/pytest -q -m "not reliability" $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile) --durations=15

# Slow reliability checks that take minutes (20 SIGKILLs during builds, 60 s of HTTP load on a
# real server); `make test` leaves them out and .ci/run calls this target after it.
test-reliability: install clients
	$(BIN)/pytest -q -m reliability -s --durations=5

# docs/network.png: build/klimatgraf.gexf drawn by graphology + sigma.js in headless Chromium.
screenshot: install
	command -v chromium >/dev/null || apt-get install -y -qq chromium
	cd docs/render && npm ci --no-audit --no-fund --loglevel=error
	$(KG) export gephi -o build/klimatgraf.gexf
	node docs/render/render_network.mjs build/klimatgraf.gexf docs/network.png

# docs/web-*.png: the web page of `klimatgraf serve` (on a fresh build/) in headless Chromium; the
# script starts the server on a free port, saves the four screenshots atomically and stops it.
.PHONY: screenshots
screenshots: install
	command -v chromium >/dev/null || apt-get install -y -qq chromium
	$(KG) build
	$(BIN)/python tests/test_browser.py --build-dir build --out docs

# Seeds (bench/run.py), then generated corpora of BENCH_N documents (bench/scale.py, bench/make_corpus.py),
# then every one-shot command, each a cold process, at BENCH_COMMANDS_N documents (bench/commands.py; its
# index build starts from the embedding cache of scale.py's build of the same N).
# Slow (the N=300 index embeds thousands of passages); never part of `make test`.
BENCH_N ?= 5 50 300
BENCH_COMMANDS_N ?= 300
bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/scale.py --n $(BENCH_N)
	$(BIN)/python bench/commands.py --n $(BENCH_COMMANDS_N)

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
