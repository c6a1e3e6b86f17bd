# Chartdesk: `make demo` to try it, `make test` to check it, `make bench` to measure it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_PATIENTS ?= 200
PORT ?= 8000

.PHONY: demo training test bench load-test lint install clean-demo

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: install
	$(BIN)/chartdesk migrate --no-input
	$(BIN)/chartdesk codes load icd10cm --shipped-editions
	$(BIN)/chartdesk codes load icd10pcs
	$(BIN)/chartdesk demo-data --patients $(DEMO_PATIENTS) --if-empty
	$(BIN)/chartdesk demo-logins --url http://127.0.0.1:$(PORT)/
	@# The job worker runs beside the server and stops with it (Ctrl+C, or the server exiting).
	$(BIN)/chartdesk worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/chartdesk serve --port $(PORT)

# Training on an install of its own (docs/training.md): its own folder and database, never the demo's.
TRAINING_VAR ?= var/training-site
training: install
	CHARTDESK_VAR_DIR=$(TRAINING_VAR) CHARTDESK_MODE=demo $(BIN)/chartdesk migrate --no-input
	CHARTDESK_VAR_DIR=$(TRAINING_VAR) CHARTDESK_MODE=demo $(BIN)/chartdesk codes load icd10cm --shipped-editions
	CHARTDESK_VAR_DIR=$(TRAINING_VAR) CHARTDESK_MODE=demo $(BIN)/chartdesk codes load icd10pcs
	CHARTDESK_VAR_DIR=$(TRAINING_VAR) CHARTDESK_MODE=demo $(BIN)/chartdesk training demo-accounts
	CHARTDESK_VAR_DIR=$(TRAINING_VAR) CHARTDESK_MODE=demo $(BIN)/chartdesk serve --port $(PORT)

test: install
	$(BIN)/lint-imports
	$(BIN)/python -m tests.run_all

lint: install
	$(BIN)/ruff check --no-cache src tests bench

bench: install
	$(BIN)/python -m bench.run_all

# 50 locust users for 120 s against `chartdesk serve --workers` on a throwaway PostgreSQL cluster
# (docs/operations.md); CHARTDESK_LOAD_USERS, _SECONDS, _PATIENTS, _WORKERS and _THREADS change it.
load-test: install
	$(BIN)/python -m bench.load_test

clean-demo:
	rm -rf var
