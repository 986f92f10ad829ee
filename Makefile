# tokenhouse: `make run` serves with an embedded Redis and demo data; `make test` runs every tier.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
PYTEST := $(BIN)/python -m pytest
SDK_DIR := tests/sdk
SDK_STAMP := $(SDK_DIR)/node_modules/.installed-$(shell cksum < $(SDK_DIR)/package-lock.json | cut -d' ' -f1)
NPM_CI := npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP) ## create the virtualenv and install the package with test tools

$(SDK_STAMP): $(SDK_DIR)/package.json $(SDK_DIR)/package-lock.json
	cd $(SDK_DIR) && $(NPM_CI)
	@rm -f $(SDK_DIR)/node_modules/.installed-*; touch $@

sdk-deps: ## install the pinned Sharetribe SDKs for tests/sdk (npm ci from the lockfile; needs node)
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "sdk-deps needs node and npm" >&2; exit 1; }
	@$(MAKE) -s --no-print-directory $(SDK_STAMP)

# `make test`: install the SDKs when node is here; without it (or when npm fails) tests/sdk skips
# with the reason, except under CI, where both are failures.
sdk-deps-if-node:
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
		$(MAKE) -s --no-print-directory $(SDK_STAMP) || { \
			if [ -n "$$CI" ]; then echo "CI: npm ci in $(SDK_DIR) failed" >&2; exit 1; fi; \
			echo "npm ci in $(SDK_DIR) failed: the official-SDK tier will be skipped" >&2; }; \
	elif [ -n "$$CI" ]; then echo "CI: node and npm are needed for the official-SDK tier" >&2; exit 1; \
	else echo "node or npm not found: the official-SDK tier (tests/sdk) will be skipped"; fi

run: $(STAMP) ## serve on 127.0.0.1:8080 with an embedded Redis and demo data
	TOKENHOUSE_ENV=$${TOKENHOUSE_ENV:-local} $(BIN)/tokenhouse serve

test: $(STAMP) sdk-deps-if-node ## the whole suite: unit, integration, end-to-end, official SDKs, browser, deploy
	$(PYTEST) -q tests

test-unit: $(STAMP) ## the fast tier only (no processes)
	$(PYTEST) -q tests/unit -m "not slow"

test-integration: $(STAMP) ## real redis-server
	$(PYTEST) -q tests/integration

test-e2e: $(STAMP) ## the real process over HTTP
	$(PYTEST) -q tests/e2e

test-sdk: $(STAMP) sdk-deps ## the official Sharetribe SDKs (node) against the real process
	$(PYTEST) -q tests/sdk

test-browser: $(STAMP) sdk-deps ## headless chromium through the login-as pages and the stand-in marketplace
	$(PYTEST) -q tests/browser

test-deploy: $(STAMP) ## render and validate the Kubernetes manifests, lint the Dockerfile
	$(PYTEST) -q tests/deploy

fmt: $(STAMP) ## format the code
	$(BIN)/ruff format service tests
	$(BIN)/ruff check --fix service tests

lint: $(STAMP) ## ruff format --check, ruff check, mypy --strict
	$(BIN)/ruff format --check service tests
	$(BIN)/ruff check service tests
	$(BIN)/mypy --strict service

check: lint test ## lint and test

bench: $(STAMP) ## ratios against oidc-provider and the skeleton (../shared/bench/compare.sh), then the marketplace mix
	$(BIN)/python -m tests.bench.compare

bench-detail: $(STAMP) ## per-grant throughput, isolation under floods, Redis commands and bytes (needs wrk)
	$(BIN)/python -m tests.bench.run

profile: $(STAMP) ## where one worker's CPU goes per grant, sampled with py-spy under wrk load
	@$(BIN)/python -c "import matplotlib" 2>/dev/null && test -x $(BIN)/py-spy || $(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python -m tests.bench.profile

redis: ## a throwaway development redis-server on port 6390
	redis-server --port 6390 --save "" --appendonly no

k8s-render: $(STAMP) ## render each overlay with kustomize
	@for o in deploy/overlays/*/; do echo "--- $$o"; $(BIN)/kubectl kustomize $$o >/dev/null && echo ok; done

image: ## build the container image (needs a Docker engine; none runs on the dev machines)
	docker build -f deploy/Dockerfile -t tokenhouse:dev .

clean: ## remove the virtualenv, caches and the embedded store's state
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis .tokenhouse *.egg-info $(SDK_DIR)/node_modules

.PHONY: help install sdk-deps sdk-deps-if-node run test test-unit test-integration test-e2e test-sdk test-browser test-deploy fmt lint check bench bench-detail profile redis k8s-render image clean
