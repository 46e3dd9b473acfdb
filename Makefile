# Two commands matter: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
# The first of Python 3.11, 3.12, 3.13 found (pyproject's requires-python); 3.11 first, as the
# versions in constraints.txt were resolved and tested with it. Override: make PYTHON=python3.13.
PYTHON ?= $(or $(firstword $(foreach p,python3.11 python3.12 python3.13,$(shell command -v $(p)))),python3.11)
# Where torch comes from. Empty: pip's own configuration (PyPI). PyPI's torch for Linux x86_64
# is the CUDA build (several GB with its nvidia-* packages); for the CPU build there, use
# TORCH_INDEX=https://download.pytorch.org/whl/cpu. macOS, Windows and Linux aarch64 get a CPU
# build from PyPI. A venv that already holds torch 2.13.0 keeps it.
TORCH_INDEX ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLAMA_VERSION := 0.3.36
# The cache folder the app uses (ASSISTANT_CACHE_DIR, as in assistant/config.py) also keeps the
# compiled llama-cpp-python wheel, so every clone on the machine reuses one build.
CACHE_DIR ?= $(or $(ASSISTANT_CACHE_DIR),$(HOME)/.cache/leadership-coach)
WHEELHOUSE ?= $(CACHE_DIR)/wheels
PROGRESS := scripts/with-progress.sh
# llama.cpp's default build targets the build machine's CPU (-march=native) and can emit AMX or
# AVX-512 instructions that a VM advertises but does not allow ("Illegal instruction"). A fixed
# AVX2 build runs on every machine of this kind; it lives in its own wheelhouse because pip's
# wheel cache ignores CMAKE_ARGS and would hand back a native build. (An AVX-512 build without
# AMX was measured too: no faster once the model is Q8_0, see assistant/backends/llama_cpp.py.)
# LLAVA_BUILD=OFF leaves out the multimodal library (mtmd: 51 of the 178 objects compiled), which
# llama_cpp imports only for image chat handlers; the app sends text.
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX512=OFF -DLLAVA_BUILD=OFF
# The test suite runs with the network cut off (loopback only) to prove nothing downloads.
NO_NETWORK := unshare -n sh -c 'ip link set lo up && exec "$$@"' sh
# uv reads no pip configuration, so pip's find-links (PIP_FIND_LINKS or pip.conf) are passed on.
PIP_FIND_LINKS_ALL = $(sort $(PIP_FIND_LINKS) $(shell $(PYTHON) -m pip config list 2>/dev/null | \
	sed -n "s/^.*find-links='\(.*\)'$$/\1/p"))
UV_INSTALL = $(BIN)/uv pip install -c constraints.txt --python $(BIN)/python --quiet \
	--compile-bytecode $(foreach l,$(PIP_FIND_LINKS_ALL),--find-links $(l))
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test test-deps test-fast check bench doctor clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@echo "==> creating the virtual environment in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip"
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --quiet --progress-bar off -c constraints.txt uv
	@echo "==> installing torch 2.13.0$(if $(TORCH_INDEX), from $(TORCH_INDEX))"
	@# uv, given pip's find-links, installs a torch kept on local disk in 9 s against pip's 22.
	@# With TORCH_INDEX, pip reads that index for torch alone, as before.
	@$(PROGRESS) "installing torch" "about 10-60 s" \
		$(if $(TORCH_INDEX),false,$(UV_INSTALL) torch==2.13.0) \
	|| $(BIN)/pip install --quiet --progress-bar off -c constraints.txt \
		$(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) torch==2.13.0
	@if ! ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "==> compiling llama-cpp-python $(LLAMA_VERSION) for AVX2 (once per machine)"; \
		CMAKE_ARGS="$(LLAMA_CMAKE)" $(PROGRESS) "compiling llama.cpp" "about 5-8 minutes on 2 cores" \
			$(BIN)/pip wheel --quiet --no-deps --no-cache-dir \
			llama-cpp-python==$(LLAMA_VERSION) -w $(WHEELHOUSE); \
	else echo "==> reusing the llama-cpp-python wheel in $(WHEELHOUSE)"; fi
	@echo "==> installing the project and its dependencies at the versions in constraints.txt"
	@# uv installs the same pins in a third of pip's time, even from pip's cache (measured: 26 s
	@# against 77 s). Bytecode is compiled at install, as pip does: where PYTHONDONTWRITEBYTECODE
	@# is set, nothing else ever writes it and every process would compile its imports again
	@# (15 s against 9 s for the app's). uv reads no pip configuration: where PyPI is reachable
	@# only through a mirror set up for pip, it fails and pip does the work.
	@$(PROGRESS) "installing the dependencies" "about 30 s with uv, 1-2 minutes with pip" \
		$(UV_INSTALL) --find-links $(WHEELHOUSE) -e '.[dev]' \
	|| { echo "==> uv could not install them (above); installing with pip instead"; \
		$(BIN)/pip install --quiet --progress-bar off -c constraints.txt \
		--find-links $(WHEELHOUSE) -e '.[dev]'; }
	@echo "==> preparing the verdict model"
	@$(BIN)/assistant train
	@touch $(STAMP)
	@echo "==> set-up complete"

# `assistant train` again, cheap when up to date: a pull that changed the scenario banks or
# the labelled move choices gets its models before anything uses them.
run: install
	@$(BIN)/assistant train
	$(BIN)/assistant serve

# Only the tests need a browser (tests/test_browser.py) and a reverse proxy (the sub-path
# tests): `make run` never installs system packages, so it needs no root and no apt.
TEST_SYSTEM_PACKAGES := chromium nginx-light

test-deps:
	@if command -v chromium >/dev/null && command -v nginx >/dev/null; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "==> chromium and nginx are missing and there is no apt-get here: install them with"; \
		echo "    your package manager; the browser and reverse-proxy tests need them."; exit 1; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "==> chromium and nginx are missing and installing them needs root: run"; \
		echo "    apt-get install $(TEST_SYSTEM_PACKAGES)   (as root); the browser and"; \
		echo "    reverse-proxy tests need them."; exit 1; fi; \
	echo "==> installing Debian $(TEST_SYSTEM_PACKAGES) for the browser and reverse-proxy tests"; \
	$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		$(TEST_SYSTEM_PACKAGES)

test: install test-deps
	@$(BIN)/assistant train
	@if $(NO_NETWORK) true 2>/dev/null; then \
		echo "==> running the suite offline (loopback only)"; \
		$(NO_NETWORK) $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else \
		echo "==> cannot cut the network here (needs unshare); running the suite online"; \
		$(BIN)/python -m pytest $(PYTEST_ARGS); \
	fi

test-fast: install
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# Is this machine ready for `make run`? Each failing line says what to run; exit 1 if not.
doctor:
	@if [ -x $(BIN)/assistant ]; then $(BIN)/assistant doctor; else \
		echo "FAIL no virtual environment yet: run \`make install\` ($(PYTHON): \
	$$($(PYTHON) --version 2>&1 || echo not found))"; exit 1; fi

bench: install
	$(BIN)/assistant bench $(BENCH_ARGS)

check: install
	$(BIN)/ruff check assistant benchmarks tests ingest.py app.py
	$(BIN)/ruff format --check assistant benchmarks tests ingest.py app.py
	$(BIN)/mypy assistant

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
