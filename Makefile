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

.PHONY: venv test check lint format typecheck validate build demo serve screenshot bench cost rules-validate rules-sync rules-test backtest clean

venv: $(STAMP)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)  ## the whole suite: unit, integration (moto), end to end
	$(BIN)/pytest -n 2 -q

check: lint typecheck validate  ## static checks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy layers/common/alerting functions local bench

validate: $(STAMP)
	$(BIN)/sam validate --lint

# Lambda cannot write __pycache__ (its code is read-only): without bytecode in the build it compiles
# our modules on every cold start. checked-hash: a zip's 2-second timestamps would invalidate
# timestamp pycs, and a hash check never runs bytecode older than its source.
build: $(STAMP)  ## sam build (needs python3.13 on PATH; found via pyenv), then bytecode for every module
	$(BIN)/sam build
	python3.13 -m compileall -q -j0 --invalidation-mode checked-hash .aws-sam/build

demo: $(STAMP)  ## the whole system end to end on moto, on a simulated clock
	$(BIN)/python -m alerting_local.demo $(ARGS)

serve: $(STAMP)  ## the dashboard and API on http://127.0.0.1:3000, live on ws://127.0.0.1:3001, ticking in real time
	$(BIN)/python -m alerting_local.serve $(ARGS)

screenshot: $(STAMP)  ## docs/dashboard.png, from the dashboard's browser test (needs chromium)
	DASHBOARD_SCREENSHOT=$(CURDIR)/docs/dashboard.png REQUIRE_BROWSER=1 $(BIN)/pytest -q tests/browser -k live

bench: $(STAMP)
	$(BIN)/python -m bench.evaluator
	$(BIN)/python -m bench.notifier
	$(BIN)/python -m bench.quieting
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.backtest

cost: $(STAMP)  ## $/month of a rule set vs native CloudWatch alarms
	$(BIN)/python -m alerting.cost $(or $(RULES),rules)

rules-validate: $(STAMP)
	$(BIN)/alerting-rules validate $(or $(RULES),rules)

rules-sync: $(STAMP)  ## load rules/*.yaml into the rules table (TABLE=<config table name>)
	$(BIN)/alerting-rules sync $(or $(RULES),rules) --table $(TABLE)

rules-test: $(STAMP)  ## run the rule tests rules/tests/*.yaml (FILES="a.yaml b.yaml" runs those); exit 1 on a mismatch
	$(BIN)/alerting-rules test $(FILES) --rules $(or $(RULES),rules)

backtest: $(STAMP)  ## RULE=<id> [DAYS=14] what a rule would have done; API=<url> (default make serve's), TABLE=<name> runs here, FILE= an edit
	$(BIN)/alerting-rules backtest $(RULE) --days $(or $(DAYS),14) $(if $(API),--api $(API)) $(if $(TABLE),--table $(TABLE)) $(if $(FILE),--file $(FILE)) $(ARGS)

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
