# Lichtpunt: the public contract is these targets: setup, train, run, test, shell, bench.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
BIN         := $(VENV)/bin
PY          := $(BIN)/python
SPACY_MODEL := models/spacy/nl_blank
MODEL       := models/lichtpunt.tar.gz

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED := 0
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(or $(ACTION_SERVER_PORT),5055)/webhook
# Rasa and the action server share this token (bot/action_server.py refuses calls without it): one per run
# unless you set your own (a multi-host deployment sets the same one everywhere).
ifndef ACTION_SERVER_TOKEN
export ACTION_SERVER_TOKEN := $(shell od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
endif
# Rasa's HTTP API (127.0.0.1 only) lets the scheduled sender start a turn (a daily exercise): one token per run too.
ifndef RASA_API_TOKEN
export RASA_API_TOKEN := $(shell od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
endif

TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(wildcard bot/nlu/*.py)

.PHONY: help setup train migrate run test shell bench clean

help:
	@echo "make run    set up, train if needed, start the bot (chat at http://localhost:8000)"
	@echo "make test   set up, train if needed, run every test"
	@echo "make shell  chat in the terminal;  make bench  print speed and NLU figures"

## setup: Python 3.10 venv with pinned packages + the blank Dutch spaCy pipeline (quick when nothing changed)
setup: $(BIN)/.installed $(SPACY_MODEL)/config.cfg

$(BIN)/.installed: requirements.txt
	@test -x $(PY) || "$$(scripts/find_python310.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==24.3.1"
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(SPACY_MODEL)/config.cfg: bot/nlu/build_spacy.py $(BIN)/.installed
	$(PY) -m bot.nlu.build_spacy $(SPACY_MODEL)

## train: only when training data, domain, config or the NLU components changed
train: setup $(MODEL)

$(MODEL): $(TRAIN_INPUTS)
	$(BIN)/rasa train --fixed-model-name lichtpunt --out models --num-threads 2

migrate: setup
	$(BIN)/alembic upgrade head

# run: the Procfile's processes under supervisord (bot/supervise.py): one that crashes is started again.
run: setup train migrate
	@echo "Starting Lichtpunt: chat at http://localhost:$${WEB_PORT:-8000} (Ctrl+C stops everything)"
	exec $(PY) -m bot run

shell: setup train migrate
	$(PY) -m bot.action_server --actions actions --port 5055 & actions=$$!; trap "kill $$actions" EXIT; \
	$(BIN)/rasa shell --model $(MODEL) --endpoints endpoints.yml

test: setup train migrate
	scripts/ensure_chromium.sh
	$(PY) -m pyflakes bot actions tests bench
	$(BIN)/rasa data validate --fail-on-warnings
	$(BIN)/rasa test core --e2e --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out var/results
	$(BIN)/pytest

bench: setup train
	$(PY) bench/nlu_eval.py
	$(PY) bench/turns.py
	$(PY) bench/load.py

clean:
	rm -rf models/*.tar.gz var/results .rasa
