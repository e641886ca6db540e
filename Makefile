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

CODE      := $(shell find pipeline -name '*.py' 2>/dev/null | sort) pyproject.toml

# What a run depends on besides the code, as two stamp files that are rewritten only when their
# text changes, so Make's time comparison sees a change of option or input:
# - the options (`make run VARIANT=zh-hk` after `make run` reruns; the cache keeps it cheap);
# - the input files with their sizes and times (a deleted or renamed input reruns too). Input
#   names are never Make prerequisites, so names with spaces (raw/my file.txt) work.
# Written while the Makefile is read (only when `run` is asked for), so `make -n run` and
# `make -q run` answer correctly without running anything.
OPTIONS       := --variant $(VARIANT) --jobs $(JOBS) --engine $(ENGINE) $(ARGS)
OPTIONS_STAMP := $(OUT)/.make-options
INPUTS_STAMP  := $(OUT)/.make-inputs
ifneq ($(filter run $(OUT)/manifest.json,$(MAKECMDGOALS)),)
INPUTS := $(shell find -L $(RAW) -type f -not -name '.*' -printf '%p\t%s\t%T@\n' 2>/dev/null | LC_ALL=C sort)
$(shell mkdir -p $(OUT))
ifneq ($(OPTIONS),$(file < $(OPTIONS_STAMP)))
$(file > $(OPTIONS_STAMP),$(OPTIONS))
endif
ifneq ($(INPUTS),$(file < $(INPUTS_STAMP)))
$(file > $(INPUTS_STAMP),$(INPUTS))
endif
endif
# Written above; this rule only keeps Make from stopping if one is missing.
$(OPTIONS_STAMP) $(INPUTS_STAMP): ;

.PHONY: help setup run test golden bench clean distclean

help: ## List the targets
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "pipeline needs Python 3.11 or newer: set PYTHON=python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dask]'
	$(PY) -m pipeline.tokens  # jieba's dictionary cache, inside .venv (a run writes only under --out)
	touch $@

setup: $(STAMP) ## Create .venv/ and install the project with its pinned dependencies

# The manifest is written last, so it stands for the whole output set: it is rebuilt when the
# inputs, the options or the code changed since it was written.
$(OUT)/manifest.json: $(INPUTS_STAMP) $(OPTIONS_STAMP) $(CODE) $(STAMP)
	$(PY) -m pipeline run --raw $(RAW) --out $(OUT) --cache $(CACHE) $(OPTIONS)

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

.PHONY: fidelity
FIDELITY ?= ../shared/corpus/real
fidelity: $(STAMP) ## Report template fates, markup leaks and suspect members on real pages (FIDELITY=folder)
	$(PY) -m pipeline.bench.fidelity $(FIDELITY)/wikitext
	$(PY) -m pipeline.bench.fidelity $(FIDELITY)/pandoc_md
