# Two commands matter: `make run` (set up everything and run the assistant) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY312 ?= $(shell scripts/find-python.sh 3.12)
PY310 ?= $(shell scripts/find-python.sh 3.10)
VENV := .venv
VENV_NLU := .venv-nlu
PIP_FLAGS ?= --disable-pip-version-check -q

.PHONY: help run console lint test test-fast test-postgres eval bench bench-load train nlu-data nlu-server-start nlu-server-stop compare-pipelines setup clean

help:
	@echo "make run      set up both venvs, train the NLU if needed, start Rasa + the bot (console chat without a token)"
	@echo "make test     set up, train if needed, run all tests (unit, handlers, Rasa end-to-end)"
	@echo "make eval     NLU accuracy on the held-out set, Rasa vs lexical matcher"
	@echo "make bench    latency and memory benchmarks"
	@echo "make bench-load  50 concurrent applicants: polling, webhook with 2 replicas, thin-bot anchor, NLU down"
	@echo "make test-fast  only the tests that need no Rasa (seconds)"
	@echo "make lint     ruff and mypy (run by make test and make test-fast)"
	@echo "make test-postgres  the fast tests that touch the database, on PostgreSQL (TEST_DATABASE_URL)"

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PY312) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -e '.[test]'
	touch $@

$(VENV_NLU)/.installed: nlu/requirements.txt
	test -x $(VENV_NLU)/bin/python || $(PY310) -m venv $(VENV_NLU)
	$(VENV_NLU)/bin/pip install $(PIP_FLAGS) -r nlu/requirements.txt
	touch $@

setup: $(VENV)/.installed $(VENV_NLU)/.installed

nlu-data: $(VENV)/.installed
	$(VENV)/bin/python -m nlu.build

train: setup
	scripts/train.sh

run: train
	scripts/run.sh

console: train
	scripts/run.sh --console

# ruff (rules in pyproject.toml) and mypy (strict on bot/ and knowledge/); both test targets run it first.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint train
	REQUIRE_RASA=1 $(VENV)/bin/python -m pytest -q --durations=15

test-fast: lint
	$(VENV)/bin/python -m pytest -q -m "not integration"

# The fast tests that touch the database, on PostgreSQL (TEST_DATABASE_URL=postgresql+asyncpg://…;
# scripts/postgres-test-db.sh makes one). The others (knowledge, matching, texts …) do not depend on the database
# and already ran in `make test` (tests/conftest.py: DATABASE_TESTS_ONLY).
test-postgres: $(VENV)/.installed
	@test -n "$$TEST_DATABASE_URL" || { echo "set TEST_DATABASE_URL (see scripts/postgres-test-db.sh)"; exit 2; }
	DATABASE_TESTS_ONLY=1 $(VENV)/bin/python -m pytest -q -m "not integration" --durations=10

eval: train
	scripts/with-nlu-server.sh $(VENV)/bin/python -m nlu.evaluate --markdown docs/nlu-evaluation.md --json docs/nlu-evaluation.json

bench: train
	scripts/with-nlu-server.sh $(VENV)/bin/python -m scripts.bench

# 50 concurrent applicants × 4 questions through a Bot API stand-in: Rasa alone, a thin PTB bot, the bot by polling
# and in webhook mode with 2 replicas on PostgreSQL, and with the NLU down (docs/benchmarks.md).
bench-load: train
	BENCH_DATABASE_URL=$$(scripts/postgres-test-db.sh assistant_bench_load) \
	  scripts/with-nlu-server.sh $(VENV)/bin/python -m scripts.bench_load

compare-pipelines: setup
	$(VENV)/bin/python -m nlu.compare

nlu-server-start: train
	scripts/nlu-server.sh start && scripts/nlu-server.sh wait

nlu-server-stop:
	scripts/nlu-server.sh stop

clean:
	rm -rf .run nlu/models data/*.db
