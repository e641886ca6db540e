# pipeline: Chinese Wikipedia-style pages -> Parquet and CSV.
# `make run` and `make test` are all a new user needs; both set up .venv/ themselves.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RAW    := raw
OUT    := output
CACHE  := $(OUT)/.cache
VARIANT ?= zh-hans
JOBS   ?= 1
ENGINE ?= local
ARGS   ?=

RAW_FILES := $(shell find $(RAW) -type f -not -name '.*' 2>/dev/null | sort)
CODE      := $(shell find pipeline -name '*.py' 2>/dev/null | sort) pyproject.toml

.PHONY: help setup run test golden bench clean distclean

help: ## List the targets
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "pipeline needs Python 3.11 or newer: set PYTHON=python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dask]'
	touch $@

setup: $(STAMP) ## Create .venv/ and install the project with its pinned dependencies

# The manifest is written last, so it stands for the whole output set: it is rebuilt when an
# input file or the code is newer than it. Changing VARIANT/JOBS/ENGINE/ARGS or deleting an input is
# not a file change: run `make clean run` (the cache keeps that cheap).
$(OUT)/manifest.json: $(RAW_FILES) $(CODE) $(STAMP)
	$(PY) -m pipeline run --raw $(RAW) --out $(OUT) --cache $(CACHE) --variant $(VARIANT) --jobs $(JOBS) --engine $(ENGINE) $(ARGS)

run: $(OUT)/manifest.json ## Set up, then run the pipeline on raw/ into output/

test: $(STAMP) ## Set up, then run the test suite
	$(PY) -m pytest

golden: $(STAMP) ## Regenerate tests/golden/ on purpose; read `git diff tests/golden` before committing
	$(PY) -m tests.regenerate

bench: $(STAMP) ## Benchmark speed and memory vs peers (BENCH_MB=20, BENCH_REPEATS=3); writes BENCHMARKS.md
	$(PY) -m pipeline.bench --mb $${BENCH_MB:-20} --repeats $${BENCH_REPEATS:-3} --out $(OUT)/bench

clean: ## Remove outputs and the cache
	rm -rf $(OUT)/*.parquet $(OUT)/*.json $(OUT)/csv $(OUT)/tables $(OUT)/bench $(OUT)/.tmp-* $(OUT)/.old-* $(CACHE)

distclean: clean ## Also remove .venv/
	rm -rf $(VENV)
