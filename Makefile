# One entry point for people and CI. Every target builds its own virtual environment first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# sam build needs the Lambda runtime's interpreter (python3.13) on PATH: a pyenv install of
# 3.13 if there is one (pyenv's shim only answers when 3.13 is the active version), else PATH.
PYENV_313 := $(lastword $(sort $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13*/bin)))
PY313_DIR := $(or $(PYENV_313),$(shell dirname "$$(command -v python3.13)" 2>/dev/null))
export PATH := $(CURDIR)/$(BIN):$(PY313_DIR):$(PATH)
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled
export SAM_CLI_TELEMETRY := 0

.PHONY: help venv test check lint format typecheck structure validate build demo serve screenshot bench cost rules-validate rules-plan rules-apply rules-test backtest clean
.DEFAULT_GOAL := help

help:  ## this list (a bare `make` prints it)
	@echo "Targets (each builds .venv first when it needs it):"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z0-9_-]+:[^=]*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(STAMP)  ## .venv: this project and its dev tools (pip install -e '.[dev]'), rebuilt when pyproject.toml changes
	@echo "$(VENV) is ready: $$($(BIN)/python --version), $(BIN)/alerting-rules, pytest, ruff, mypy, sam"
$(STAMP): pyproject.toml
	@echo "Creating $(VENV) with $$($(PYTHON) --version) ($(PYTHON); Python 3.11 or newer)..."
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	@echo "Installing this project and its dev dependencies into $(VENV) (pip install -e '.[dev]': about a minute the first time)..."
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)  ## the whole suite: unit, integration (moto), end to end
	$(BIN)/pytest -n 2 -q

check: lint typecheck validate structure  ## static checks: lint, typecheck, validate, structure

lint: $(STAMP)  ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## ruff format, then ruff check --fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)  ## mypy (strict on layers/common/alerting)
	$(BIN)/mypy layers/common/alerting functions local bench

structure: $(STAMP)  ## the structure check: import circles and layers, boto3 only in adapters, module and function sizes, duplicates
	$(BIN)/python -m bench.structure

validate: $(STAMP)  ## sam validate --lint (template.yaml)
	$(BIN)/sam validate --lint

# Lambda cannot write __pycache__ (its code is read-only): without bytecode in the build it compiles
# our modules on every cold start. checked-hash: a zip's 2-second timestamps would invalidate
# timestamp pycs, and a hash check never runs bytecode older than its source.
build: $(STAMP)  ## sam build (needs python3.13 on PATH; found via pyenv), then bytecode for every module
	$(BIN)/sam build
	python3.13 -m compileall -q -j0 --invalidation-mode checked-hash .aws-sam/build

demo: $(STAMP)  ## the whole system end to end on moto, on a simulated clock
	$(BIN)/python -m alerting_local.demo $(ARGS)

serve: $(STAMP)  ## the dashboard and API on http://127.0.0.1:3000, live on ws://127.0.0.1:3001 (ARGS="--port N --live-port M")
	@$(BIN)/python -m alerting_local.serve $(ARGS)

screenshot: $(STAMP)  ## docs/dashboard.png, from the dashboard's browser test (needs chromium)
	DASHBOARD_SCREENSHOT=$(CURDIR)/docs/dashboard.png REQUIRE_BROWSER=1 $(BIN)/pytest -q tests/browser -k live

bench: $(STAMP)  ## every benchmark in bench/ (figures: docs/performance.md)
	$(BIN)/python -m bench.evaluator
	$(BIN)/python -m bench.notifier
	$(BIN)/python -m bench.quieting
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.backtest
	$(BIN)/python -m bench.heartbeats
	$(BIN)/python -m bench.alertmanager
	$(BIN)/python -m bench.ingest

cost: $(STAMP)  ## $/month of a rule set vs native CloudWatch alarms
	$(BIN)/python -m alerting.cost $(or $(RULES),rules)

rules-validate: $(STAMP)  ## check rules/*.yaml (RULES=<folder>): every error with file and field
	$(BIN)/alerting-rules validate $(or $(RULES),rules)

# TABLE=<ConfigTableName output>; ENDPOINT=<url> for make serve's stack (its aws_endpoint, TABLE=alerting-local-ConfigTable)
RULES_TABLE_ARGS = $(or $(RULES),rules) --table "$(TABLE)" $(if $(ENDPOINT),--endpoint-url $(ENDPOINT)) $(if $(PRUNE),--prune) $(if $(FORCE),--force)

rules-plan: $(STAMP)  ## TABLE=<ConfigTableName>: what rules-apply would create, update, delete (PRUNE=1); exit 1 if refused
	$(BIN)/alerting-rules plan $(RULES_TABLE_ARGS)

rules-apply: $(STAMP)  ## TABLE=<ConfigTableName>: apply that plan; FORCE=1 overwrites changes made through the API, PRUNE=1 deletes
	$(BIN)/alerting-rules apply $(RULES_TABLE_ARGS)

rules-test: $(STAMP)  ## run the rule tests rules/tests/*.yaml (FILES="a.yaml b.yaml" runs those); exit 1 on a mismatch
	$(BIN)/alerting-rules test $(FILES) --rules $(or $(RULES),rules)

backtest: $(STAMP)  ## RULE=<id> [DAYS=14] what a rule would have done; API=<url> (default make serve's), TABLE=<name> runs here, FILE= an edit
	$(BIN)/alerting-rules backtest $(RULE) --days $(or $(DAYS),14) $(if $(API),--api $(API)) $(if $(TABLE),--table $(TABLE)) $(if $(FILE),--file $(FILE)) $(ARGS)

clean:  ## remove .venv, .aws-sam and the tools' caches
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
