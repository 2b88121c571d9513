# SqueezeFlow: one command to set up and run the demo (`make demo`), one for the tests (`make test`).
# Set-up is incremental: the virtualenv is rebuilt only when pyproject.toml changes.

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
SF      := $(VENV)/bin/squeezeflow
STAMP   := $(VENV)/.stamp-setup
APT_STAMP := $(VENV)/.stamp-apt
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: the C++ compiler for C simulation, Icarus Verilog and yosys for the RTL kernels, tclsh for the
# Vivado stand-in that checks the bitstream scripts, QEMU user mode to run onnxruntime on an emulated CPU without VNNI
# (tests/test_onnxrt.py).
APT_PACKAGES := g++ iverilog yosys tcl qemu-user

SHARED  ?= ../shared
OUT     ?= out
ARCH    ?= squeezenet1_1
BOARD   ?= ultra96v2
MODEL   ?=
CLOCK   ?=
BACKEND ?= hls
BUILD_DIR = $(OUT)/$(BOARD)/$(basename $(notdir $(MODEL)))

# The host driver's venv: pynq 4.0.0 pins numpy<2, which the compiler's venv (numpy 2) cannot hold. It gets the
# repository with --no-deps, so squeezeflow.host imports without the compiler's dependencies.
HOST_VENV  := .venv-host
HOST_PY    := $(HOST_VENV)/bin/python
HOST_STAMP := $(HOST_VENV)/.stamp-setup
HOST_PACKAGES := pynq==4.0.0 'numpy<2' pillow pytest nbclient ipykernel matplotlib scikit-image
# What the demo's last step classifies through the driver: ../shared's photos, else the foolbox ImageNet photos the
# demo copies into $(OUT)/photos.
DEMO_PHOTOS = $(or $(wildcard $(SHARED)/data/imagenet_sample),$(OUT)/photos)

.PHONY: setup demo test test-fast bench clean bitstream bitstream-scripts

setup: $(STAMP) $(HOST_STAMP)

$(APT_STAMP):
	@missing=""; for tool in g++ iverilog yosys tclsh qemu-x86_64; do command -v $$tool >/dev/null || missing=1; done; \
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

$(HOST_STAMP): pyproject.toml
	@[ -x $(HOST_PY) ] || $(PYTHON) -m venv $(HOST_VENV)
	$(HOST_PY) -m pip install -q --upgrade pip
	$(HOST_PY) -m pip install -q $(HOST_PACKAGES)
	$(HOST_PY) -m pip install -q --no-deps -e .
	@touch $@

demo: setup
	$(PY) -m squeezeflow.compiler.demo --shared $(SHARED) --out $(OUT) --arch $(ARCH) --board $(BOARD)
	@printf "\n=== 11. classify through the PYNQ driver's software backend (pynq's Overlay and DMA, simulated board)\n"
	$(HOST_PY) -m squeezeflow.host.driver $(OUT)/build $(DEMO_PHOTOS) --limit 4

test: setup
	$(PY) -m pytest -q -n 2 --dist loadfile
	$(HOST_PY) -m pytest -q tests/host  # the driver, in its own venv; builds come from .venv (tests/host/conftest.py)

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# `make bitstream BOARD=ultra96v2 MODEL=m.onnx [CLOCK=MHz] [BACKEND=hls|rtl]`: compile into out/<board>/<model>/ when
# the model is newer than the build or the back end is missing, write the Vitis/Vivado scripts, run them and publish
# bitstreams/<board>/<model>.bit/.hwh/.json. `make bitstream-scripts ...` stops after the scripts. See docs/bitstream.md.
bitstream bitstream-scripts: setup
	@[ -n "$(MODEL)" ] || { echo "usage: make $@ BOARD=ultra96v2 MODEL=path/to/model.onnx [CLOCK=MHz] [BACKEND=hls|rtl]"; exit 2; }
	@mkdir -p $(OUT)/$(BOARD)
	@if [ ! -f "$(MODEL)" ] || [ "$(MODEL)" -nt $(BUILD_DIR)/ir.json ] || [ ! -d $(BUILD_DIR)/$(BACKEND) ]; then \
	  $(SF) compile "$(MODEL)" -o $(BUILD_DIR) --board $(BOARD) --backend $(BACKEND) || exit 2; fi
	@$(SF) bitstream $(BUILD_DIR) --backend $(BACKEND) $(if $(CLOCK),--clock $(CLOCK)) \
	  $(if $(filter bitstream-scripts,$@),--scripts-only)

clean:
	rm -rf $(OUT) .pytest_cache
