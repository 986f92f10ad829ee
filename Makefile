# tokenhouse: `make run` serves with an embedded Redis and demo data; `make test` runs every tier.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
PYTEST := $(BIN)/python -m pytest

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP) ## create the virtualenv and install the package with test tools

run: $(STAMP) ## serve on 127.0.0.1:8080 with an embedded Redis and demo data
	TOKENHOUSE_ENV=$${TOKENHOUSE_ENV:-local} $(BIN)/tokenhouse serve

test: $(STAMP) ## the whole suite: unit, integration, end-to-end, deploy
	$(PYTEST) -q tests

test-unit: $(STAMP) ## the fast tier only (no processes)
	$(PYTEST) -q tests/unit -m "not slow"

test-integration: $(STAMP) ## real redis-server
	$(PYTEST) -q tests/integration

test-e2e: $(STAMP) ## the real process over HTTP
	$(PYTEST) -q tests/e2e

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

bench: $(STAMP) ## throughput and latency per grant (needs wrk; installs it with apt when missing)
	$(BIN)/python -m tests.bench.run

redis: ## a throwaway development redis-server on port 6390
	redis-server --port 6390 --save "" --appendonly no

k8s-render: $(STAMP) ## render each overlay with kustomize
	@for o in deploy/overlays/*/; do echo "--- $$o"; $(BIN)/kubectl kustomize $$o >/dev/null && echo ok; done

image: ## build the container image (needs a Docker engine; none runs on the dev machines)
	docker build -f deploy/Dockerfile -t tokenhouse:dev .

clean: ## remove the virtualenv, caches and the embedded store's state
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis .tokenhouse *.egg-info

.PHONY: help install run test test-unit test-integration test-e2e test-deploy fmt lint check bench redis k8s-render image clean
