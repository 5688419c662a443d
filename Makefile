# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test browser lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_DEMO): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(STAMP_DEMO)

# ridge on the built-in diabetes data: model file and HTML report in ridgeline-demo/
demo: $(STAMP_DEMO)
	$(BIN)/ridgeline demo -o ridgeline-demo

# headless Chromium for the report's browser test (Debian packages); when it cannot be
# installed (no root, no apt) the browser test is skipped and says why
browser:
	@(command -v chromium >/dev/null && command -v chromedriver >/dev/null) || \
	  (DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) || \
	  echo "chromium could not be installed: the browser test will be skipped"

test: $(STAMP_TEST) browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

bench: $(STAMP_TEST)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_ridge_cv.py

clean:
	rm -rf $(VENV) ridgeline-demo demo-model.ridgeline .pytest_cache .ruff_cache tests/artifacts
