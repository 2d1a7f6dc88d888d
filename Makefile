# newsetl: `make demo` and `make test` set everything up from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/uv
endif
DEVSET ?= ../shared/extraction-devset
METADEVSET ?= ../shared/metadata-devset
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: setup system-deps demo test test-fast lint format bench bench-extract bench-dedupe \
	bench-crawl bench-load bench-distributed bench-realsite bench-metadata clean

# uv is not on a new machine: pip brings it, then uv builds .venv from the committed lock.
$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check uv

$(BIN)/newsetl: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --compile-bytecode --python $(PYTHON)
	@touch $@

setup: $(BIN)/newsetl ## create .venv with the pinned dependencies
	@# The project's own modules too: where PYTHONDONTWRITEBYTECODE is set, nothing else
	@# writes their bytecode, and every process (crawler, extraction workers) would compile
	@# them again at each start. compileall skips files that are up to date.
	$(BIN)/python -m compileall -q -j 0 newsetl flows spiders

demo: setup ## scrape the bundled demo sites on 127.0.0.1 into ./data
	$(BIN)/newsetl demo

# Debian packages some tests use: Chromium renders the HTML report, redis-server backs the
# distributed mode, postgresql is the production backend of serve's Prefect server. Best
# effort: without root or apt those tests skip with a message naming the package.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	{ command -v initdb || ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1 \
	  || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing (for the report, distributed and PostgreSQL tests)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	  || echo "could not install$$missing: the tests that need them will be skipped"; \
	fi

test: setup system-deps ## the whole test suite (slow tests included)
	$(BIN)/python -m pytest

test-fast: setup ## the suite without the slow end-to-end tests
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-extract: setup ## extraction quality and speed vs trafilatura and readability-lxml
	$(BIN)/python benchmarks/extraction.py --peers --devset $(DEVSET)

bench-metadata: setup ## title, authors, date, language, body on ../shared/metadata-devset vs trafilatura
	$(BIN)/python benchmarks/metadata.py --devset $(METADEVSET)

bench-dedupe: setup ## deduplication quality and scale
	$(BIN)/python benchmarks/dedupe.py --quality --scale 10000,100000,1000000 --batch 20000 --incremental 1000000
	$(BIN)/python benchmarks/dedupe_stored.py --articles 1000000

bench-crawl: setup ## the speed targets in one table: crawls of a 1,000-article site, extract, the index at 1M
	$(BIN)/python benchmarks/speed.py --articles 1000 --index-articles 1000000

bench-realsite: setup ## real dev-set articles served as a site (sitemap, listing), crawled by newsetl scrape
	$(BIN)/python benchmarks/realsite.py

bench-load: setup ## a 20,000-page local site in one crawl: throughput per window, peak memory
	$(BIN)/python benchmarks/load.py

bench-distributed: setup system-deps ## pages/s with 1, 2 and 3 crawler processes sharing Redis
	$(BIN)/python benchmarks/distributed.py

bench: bench-extract bench-metadata bench-dedupe bench-crawl bench-realsite bench-load bench-distributed

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .state
