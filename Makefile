# SqueezeFlow: one command to set up and run the demo (`make demo`), one for the tests (`make test`).
# Set-up is incremental: the virtualenv is rebuilt only when pyproject.toml changes.

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
SF      := $(VENV)/bin/squeezeflow
STAMP   := $(VENV)/.stamp-setup
APT_STAMP := $(VENV)/.stamp-apt
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: the C++ compiler for C simulation, Icarus Verilog and yosys for the RTL kernels.
APT_PACKAGES := g++ iverilog yosys

SHARED  ?= ../shared
OUT     ?= out
ARCH    ?= squeezenet1_1
BOARD   ?= ultra96v2

.PHONY: setup demo test test-fast bench clean

setup: $(STAMP)

$(APT_STAMP):
	@missing=""; for tool in g++ iverilog yosys; do command -v $$tool >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi
	@mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml $(APT_STAMP)
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[compiler,dev]"
	@touch $@

demo: setup
	$(PY) -m squeezeflow.compiler.demo --shared $(SHARED) --out $(OUT) --arch $(ARCH) --board $(BOARD)

test: setup
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(OUT) .pytest_cache
