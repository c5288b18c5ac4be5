# Two commands on a fresh machine:
#   make lab    set everything up, then run JupyterLab with kubechat against the sandbox cluster
#   make test   set everything up, then run the whole test suite (what .ci/run calls)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup lab test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(BIN)/kubechat serve

test: setup
	scripts/test.sh

lint: setup
	$(BIN)/ruff check kubechat_lab tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
