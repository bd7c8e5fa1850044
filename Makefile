# Two commands set everything up on a fresh machine:
#   make run   venv + Rust core + web app, then the stack on the simulated robot
#   make test  every test: Rust, Python, web, browser
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
FUZZ_VENV := $(CURDIR)/.venv-fuzz
# The vendor's own software (PyPI reachy_mini), in a venv of its own: the tests use it as the
# reference for kinematics, as a real SDK client and as a real daemon. The product never
# imports it.
VENDOR_VENV := $(CURDIR)/.venv-vendor
VENDOR_VERSION := 1.13.0
# The same stack on the ROS 2 Jazzy wheels: the tests of the ROS surface run there too.
JAZZY_VENV := $(CURDIR)/.venv-jazzy
JAZZY_TESTS := test/hardware/test_lifecycle.py test/hardware/test_parameters_live.py \
	test/interface/test_node_help.py test/ros_integration/test_stack_joint_states.py \
	test/bridge/test_bridge_stack.py test/ros_integration/test_readme_ros_steps.py
STAMPS := .stamps
# The Python tests run on two pytest-xdist workers, each test file on one of them: most of a
# test's time is spent waiting on processes, DDS and sockets, not on the two cores.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile
CORE := reachy_mini_core_rs
HOST ?= 127.0.0.1
PORT ?= 8000

# The ROS 2 wheels live in the venv: point the ament index at it and use Fast DDS.
export AMENT_PREFIX_PATH := $(VENV)
export RMW_IMPLEMENTATION := rmw_fastrtps_cpp
export PATH := $(BIN):$(HOME)/.cargo/bin:$(PATH)

CORE_SOURCES := $(shell find $(CORE)/src $(CORE)/python -type f 2>/dev/null) \
	reachy_mini_ros/interface/robot_table.json $(CORE)/build.rs \
	$(wildcard $(CORE)/Cargo.toml $(CORE)/Cargo.lock $(CORE)/pyproject.toml)
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) \
	$(wildcard web/index.html web/vite.config.ts web/tsconfig*.json web/openapi.json)

.PHONY: run build venv core package web system-deps test test-deps test-rust test-python \
	test-web test-browser test-python-jazzy lint clean

run: build
	@$(BIN)/reachy-mini bringup --host $(HOST) --port $(PORT)

build: core package web

venv: $(STAMPS)/venv
# Made anew whenever its requirements change, so that it holds exactly what the files list.
$(STAMPS)/venv: requirements.txt requirements-common.txt
	@mkdir -p $(STAMPS)
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(STAMPS)/fuzz-venv: requirements-fuzz.txt
	@mkdir -p $(STAMPS)
	rm -rf $(FUZZ_VENV)
	python3 -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-fuzz.txt
	touch $@

# Jazzy's wheels, the same other packages, this package in editable mode, and the Rust core
# that `make core` built (an editable CPython 3.11 extension in the crate's python/ folder).
$(STAMPS)/jazzy-venv: requirements-jazzy.txt requirements-common.txt | $(STAMPS)/core
	@mkdir -p $(STAMPS)
	rm -rf $(JAZZY_VENV)
	python3 -m venv $(JAZZY_VENV)
	$(JAZZY_VENV)/bin/pip install --quiet --disable-pip-version-check --no-compile \
		-r requirements-jazzy.txt
	REACHY_MINI_SKIP_CORE_BUILD=1 REACHY_MINI_SKIP_WEB_BUILD=1 $(JAZZY_VENV)/bin/pip install \
		--quiet --no-deps --no-build-isolation --disable-pip-version-check -e .
	echo "$(CURDIR)/$(CORE)/python" > "$$($(JAZZY_VENV)/bin/python -c \
		'import sysconfig; print(sysconfig.get_paths()["purelib"])')/reachy_mini_core_rs.pth"
	touch $@

# Its media stack builds PyGObject and pycairo, whose Debian headers system-deps installs.
$(STAMPS)/vendor-venv: | $(STAMPS)/system-deps
	@mkdir -p $(STAMPS)
	rm -rf $(VENDOR_VENV)
	python3 -m venv $(VENDOR_VENV)
	$(VENDOR_VENV)/bin/pip install --quiet --disable-pip-version-check reachy_mini==$(VENDOR_VERSION)
	touch $@

core: $(STAMPS)/core
$(STAMPS)/core: $(STAMPS)/venv $(CORE_SOURCES)
	cd $(CORE) && VIRTUAL_ENV=$(VENV) $(BIN)/maturin develop --release --quiet
	touch $@

package: $(STAMPS)/package
# After the core: maturin and pip would otherwise write into the same venv at once.
$(STAMPS)/package: $(STAMPS)/venv setup.py setup.cfg | $(STAMPS)/core
	REACHY_MINI_SKIP_CORE_BUILD=1 $(BIN)/pip install --quiet --no-deps --no-build-isolation \
		--disable-pip-version-check -e .
	touch $@

web: web/dist/index.html
$(STAMPS)/web-deps: web/package.json web/package-lock.json
	@mkdir -p $(STAMPS)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@
web/dist/index.html: $(STAMPS)/web-deps $(WEB_SOURCES)
	cd web && npm run build
	touch $@

# Debian packages the tests need: Chromium for the browser tests, PostgreSQL for the database
# tests, and the headers the vendor venv builds against (one apt run, so that no two run at
# once). CI runs as root on a fresh machine, so installing them here is what makes it pass.
SYSTEM_PACKAGES := chromium postgresql libcairo2-dev libgirepository1.0-dev \
	gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
system-deps: $(STAMPS)/system-deps
# Checked again when the Makefile (and so the list) changes; the check is quick once installed.
$(STAMPS)/system-deps: Makefile
	@mkdir -p $(STAMPS)
	if ! command -v chromium >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
			|| ! dpkg -s $(filter-out chromium postgresql,$(SYSTEM_PACKAGES)) >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			$(SYSTEM_PACKAGES) >/dev/null; \
	fi
	touch $@

# Everything the tests need is made first, several pieces at once (downloads, apt and the
# compilers overlap); then the tests run one suite after the other.
test:
	$(MAKE) --no-print-directory -j3 --output-sync=target test-deps
	$(MAKE) --no-print-directory test-rust lint test-python test-python-jazzy test-web test-browser

test-deps: build system-deps $(STAMPS)/fuzz-venv $(STAMPS)/vendor-venv $(STAMPS)/jazzy-venv

test-rust:
	cd $(CORE) && cargo fmt --check
	cd $(CORE) && cargo clippy --all-targets --quiet -- -D warnings
	cd $(CORE) && cargo test --quiet

lint: $(STAMPS)/venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-python: build $(STAMPS)/fuzz-venv $(STAMPS)/vendor-venv
	$(BIN)/pytest $(PYTEST_PARALLEL)

# The ROS surface on Jazzy: lifecycle, parameters, --help, /joint_states, the bridge over DDS
# and the README's ROS steps.
test-python-jazzy: build $(STAMPS)/jazzy-venv
	AMENT_PREFIX_PATH=$(JAZZY_VENV) $(JAZZY_VENV)/bin/pytest -p no:cacheprovider \
		$(PYTEST_PARALLEL) $(JAZZY_TESTS)

test-web: $(STAMPS)/web-deps
	cd web && npm test

test-browser: build system-deps
	cd web && npm run test:e2e

clean:
	rm -rf $(STAMPS) $(VENV) $(JAZZY_VENV) $(FUZZ_VENV) $(VENDOR_VENV) $(CORE)/target web/dist web/node_modules build install log
