# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
LOCK_STAMP := $(VENV)/.lock-$(shell sha256sum requirements/lock.txt | cut -c1-16)
TOOLS_STAMP := .venv-tools/.lock-$(shell sha256sum requirements/tools-lock.txt | cut -c1-16)

export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONPATH := $(CURDIR)
# TensorFlow and Rasa 3.6 print pages of deprecation warnings that say nothing about this project.
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: run test lint setup tools migrate model validate pytest stories chromium axe benchmark benchmark-faults benchmark-profile benchmark-transcripts benchmark-parse nlu-report nlu-holdout nlu-real nlu-compare entities-report clean nginx cluster-test

## run: set up what is missing, migrate, train if needed, start all three processes
run: setup
	$(BIN)/python -m scripts.run

## test: set up what is missing, then lint, data validation, pytest (unit, e2e, browser), story tests
test: setup tools lint model chromium axe nginx validate pytest stories

setup: $(LOCK_STAMP)

## tools: schemathesis, kubernetes-validate, hadolint and ruff in .venv-tools (apart from rasa's pins)
tools: $(TOOLS_STAMP)

$(TOOLS_STAMP): requirements/tools-lock.txt
	scripts/setup_tools_venv.sh

$(LOCK_STAMP): requirements/lock.txt
	scripts/setup_venv.sh

## lint: ruff (lint and format check) over the repository, mypy over bot/ and api/ (pyproject.toml); first step of `make test`.
lint: setup tools
	.venv-tools/bin/ruff check .
	.venv-tools/bin/ruff format --check .
	$(BIN)/mypy

migrate: setup
	$(BIN)/python -m scripts.migrate

model: setup
	$(BIN)/python -m scripts.train

chromium:
	scripts/ensure_chromium.sh

## nginx: Debian's nginx for the proxy test and `make cluster-test` (apt-get when missing)
nginx:
	scripts/ensure_nginx.sh

## cluster-test: the production topology as real processes on loopback (2 Rasa, 2 action servers,
## 2 API replicas, the RabbitMQ consumer, nginx; PostgreSQL, Redis, RabbitMQ), 50 conversations
## over REST and WebSocket while one Rasa, one action server and one API replica are killed
cluster-test: setup model nginx
	$(BIN)/python -m scripts.cluster_test

## axe: axe-core for the browser tests' accessibility checks (npm registry, pinned by its lock)
axe:
	scripts/ensure_axe.sh

validate: setup
	$(BIN)/rasa data validate --config config.yml --domain domain.yml --data data

pytest: setup model
	$(BIN)/python -m pytest

stories: setup model
	$(BIN)/python -m scripts.test_stories

## benchmark: turn cost against Rasa's starter bot in one run (built once per Rasa version):
## 1,000 messages, 20 conversations at a time, straight to Rasa and through the API, embedded
## (SQLite) and production topology (PostgreSQL, Redis, RabbitMQ; when reachable), sequential
## latency and RSS. BENCH_ARGS="--messages 200 --sequential 20" for a short run.
benchmark: setup model
	$(BIN)/python -m benchmarks.chat_latency $(BENCH_ARGS)

## benchmark-profile: py-spy sampling profile of our Rasa under load (PY_SPY=<path of py-spy>;
## BENCH_ARGS="--process api" samples the API instead, the load sent through it)
PY_SPY ?= py-spy
benchmark-profile: setup model
	$(BIN)/python -m benchmarks.profile_rasa --py-spy $(PY_SPY) $(BENCH_ARGS)

## benchmark-faults: the API, the action server and Rasa killed or frozen mid-form, a burst of 200
## session creations, one client_message_id five times at once; figures before (issue 16) and after
benchmark-faults: setup model
	$(BIN)/python -m benchmarks.faults

## benchmark-transcripts: analyst queries over 1,000,000 generated messages, SQLite then PostgreSQL
BENCH_SQLITE ?= sqlite:///$(CURDIR)/var/bench_transcripts.db
BENCH_POSTGRES ?= postgresql+psycopg2://postgres@127.0.0.1:5432/bankbot_bench
benchmark-transcripts: setup
	$(BIN)/python -m benchmarks.transcripts --database-url $(BENCH_SQLITE) --generate 1000000 50000
	$(BIN)/python -m benchmarks.transcripts --database-url $(BENCH_POSTGRES) --generate 1000000 50000

## nlu-report: 5-fold cross-validation (intents and FAQ topics), macro-F1, most confused pairs
nlu-report: setup
	$(BIN)/python -m scripts.nlu_report

## entities-report: precision, recall and F1 per entity type on tests/nlu/entities_eval.yml (and the
## fresh set), with every miss
entities-report: setup
	$(BIN)/python -m scripts.entities_report

## benchmark-parse: /model/parse latency of the current model (BASELINE=<model> to compare with one
## trained without the entity components)
benchmark-parse: setup model
	$(BIN)/python -m benchmarks.parse_latency $(if $(BASELINE),--baseline $(BASELINE))

## nlu-holdout: accuracy on tests/nlu/holdout.yml (phrasings never trained on), per group
nlu-holdout: setup model
	$(BIN)/python -m scripts.nlu_holdout

## nlu-real: accuracy on real customer questions of a public corpus (a local copy, never committed),
## labelled in tests/nlu/real_labels/, per behaviour group with every miss (a blind sample's misses are hidden)
NLU_REAL_LABELS ?= tests/nlu/real_labels/unionpay_qa.yml
nlu-real: setup model
	@test -n "$(CORPUS)" || { echo "usage: make nlu-real CORPUS=<path to the corpus file> [NLU_REAL_LABELS=<labels yml>]"; exit 2; }
	$(BIN)/python -m scripts.nlu_real "$(CORPUS)" --labels $(NLU_REAL_LABELS)

## nlu-compare: pipelines side by side on every real-question sample whose corpus is given (blind ones aside) and on
## the held-out set (an NLU-only model per config, ~1 min each, cached in var/nlu-compare/)
## e.g. make nlu-compare CORPORA="bq_train.tsv data.txt" CONFIGS="config.yml var/try.yml"
CONFIGS ?= config.yml
nlu-compare: setup
	$(BIN)/python -m scripts.nlu_compare $(foreach c,$(CORPORA),--corpus "$(c)") $(foreach c,$(CONFIGS),--config "$(c)") $(if $(MISSES),--misses)

clean:
	rm -rf var/*.db var/log models/*.tar.gz .pytest_cache
