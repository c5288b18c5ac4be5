# Two commands on a fresh machine:
#   make lab    set everything up, then run JupyterLab with kubechat against the sandbox cluster
#   make test   set everything up, then run the whole test suite (what .ci/run calls)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The side panel (js/) builds with jlpm, which the venv's jupyter-builder provides; Node >= 20.
JLPM   := PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/jlpm
LABEXT := kubechat_lab/labextension/package.json
JS_SRC := js/package.json js/tsconfig.json $(wildcard js/src/*.ts js/src/*.tsx js/src/components/*.tsx js/src/widget/*.ts js/src/widget/*.tsx js/style/* js/schema/*)

.PHONY: setup lab test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The editable install above already builds the panel when Node is there; this rebuilds it
# after a change under js/ and links it into the venv (jupyter-builder develop).
$(LABEXT): $(STAMP) $(JS_SRC)
	cd js && $(JLPM) install && $(JLPM) build
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter-builder develop --overwrite .
	touch $(LABEXT)

# configurable-http-proxy for the real-JupyterHub test (tests/hub), from npm into .hubtools/
CHP    := .hubtools/node_modules/.bin/configurable-http-proxy
$(CHP):
	mkdir -p .hubtools
	npm install --prefix .hubtools --no-save --no-audit --no-fund --loglevel=error \
		configurable-http-proxy@5

setup: $(STAMP) $(LABEXT) $(CHP)

lab: setup
	$(BIN)/kubechat serve

test: setup
	scripts/test.sh

lint: setup
	$(BIN)/ruff check kubechat_lab tests
	$(BIN)/mypy
	cd js && $(JLPM) lint:check

clean:
	rm -rf $(VENV) .hubtools .pytest_cache .mypy_cache .ruff_cache js/node_modules js/lib kubechat_lab/labextension \
		kubechat_lab/widgets/static/kubechat.js kubechat_lab/widgets/static/kubechat.css
