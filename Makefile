# Two commands matter: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLAMA_VERSION := 0.3.36
# llama.cpp's default build targets the build machine's CPU (-march=native) and can emit AMX
# instructions that a VM advertises but does not allow ("Illegal instruction"). So the
# instruction sets are chosen here: AVX-512 (with VNNI, VBMI, BF16) but never AMX where the
# CPU has them, which reads prompts ~25% faster than AVX2 here; AVX2 everywhere else. Each
# build has its own wheelhouse because pip's wheel cache ignores CMAKE_ARGS.
AVX512_FLAGS := avx512f avx512bw avx512vl avx512vbmi avx512_vnni avx512_bf16 avx_vnni
LLAMA_VARIANT := $(shell for f in $(AVX512_FLAGS); do grep -qw $$f /proc/cpuinfo || { echo avx2; exit; }; done; echo avx512)
WHEELHOUSE := $(HOME)/.cache/leadership-coach/wheels-$(LLAMA_VARIANT)
LLAMA_CMAKE_avx2 := -DGGML_AVX512=OFF
LLAMA_CMAKE_avx512 := -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON \
	-DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
	-DGGML_AMX_BF16=OFF
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON $(LLAMA_CMAKE_$(LLAMA_VARIANT))
# The test suite runs with the network cut off (loopback only) to prove nothing downloads.
NO_NETWORK := unshare -n sh -c 'ip link set lo up && exec "$$@"' sh
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test test-fast check bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> creating the virtual environment in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@command -v chromium >/dev/null && command -v nginx >/dev/null || { \
		echo "==> installing Debian chromium and nginx for the browser and proxy tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium nginx-light; }
	@echo "==> upgrading pip"
	@$(BIN)/pip install --quiet --upgrade pip
	@echo "==> installing torch (CPU build)"
	@$(BIN)/pip install --progress-bar off torch==2.13.0
	@if ! ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "==> compiling llama-cpp-python $(LLAMA_VERSION) for $(LLAMA_VARIANT) (about 5 minutes, once)"; \
		CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip wheel --no-deps --no-cache-dir \
			llama-cpp-python==$(LLAMA_VERSION) -w $(WHEELHOUSE); \
	else echo "==> reusing the llama-cpp-python wheel in $(WHEELHOUSE)"; fi
	@echo "==> installing the project and its dependencies"
	@$(BIN)/pip install --progress-bar off --find-links $(WHEELHOUSE) -e '.[dev]'
	@echo "==> preparing the verdict model"
	@$(BIN)/assistant train
	@touch $(STAMP)
	@echo "==> set-up complete"

run: install
	$(BIN)/assistant serve

test: install
	@if $(NO_NETWORK) true 2>/dev/null; then \
		echo "==> running the suite offline (loopback only)"; \
		$(NO_NETWORK) $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else \
		echo "==> cannot cut the network here (needs unshare); running the suite online"; \
		$(BIN)/python -m pytest $(PYTEST_ARGS); \
	fi

test-fast: install
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

bench: install
	$(BIN)/assistant bench $(BENCH_ARGS)

check: install
	$(BIN)/ruff check assistant tests ingest.py app.py
	$(BIN)/ruff format --check assistant tests ingest.py app.py
	$(BIN)/mypy assistant

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
