# GGUF Arena set-up: `make run` to use it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: venv models llama-server llama-perplexity run test bench soak package clean screenshots

venv: $(VENV)/.installed

# The stamp makes a second `make venv` instant; editing pyproject.toml reinstalls.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "GGUF Arena needs Python >= 3.11, but $(PYTHON) is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[test]'
	touch $@

models: venv
	$(PY) -m gui fetch-models

# llama.cpp's own llama-server, built from llama-cpp-python's source distribution (the very llama.cpp the
# bindings use; nothing else is reachable), for the tests of a served side. It lives outside the clone,
# keyed by version, so a second `make test` finds it built (the first build takes about 4 minutes on 2 cores).
LLAMA_CPP_PYTHON := $(shell sed -n 's/^ *"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml)
TOOLS := $(HOME)/.cache/gguf-arena/llama.cpp-$(LLAMA_CPP_PYTHON)
LLAMA_SERVER := $(TOOLS)/build/bin/llama-server
LLAMA_PERPLEXITY := $(TOOLS)/build/bin/llama-perplexity

llama-server: $(LLAMA_SERVER)

# llama.cpp's perplexity tool, the reference the quantization figures are tested against (python -m gui quant);
# built in the same tree as llama-server, after it (the libraries are shared, so it takes seconds more).
llama-perplexity: $(LLAMA_PERPLEXITY)

$(LLAMA_PERPLEXITY): | $(LLAMA_SERVER)
	cmake --build $(TOOLS)/build --target llama-perplexity -j$$(nproc)

$(LLAMA_SERVER): | $(VENV)/.installed
	rm -rf $(TOOLS)
	mkdir -p $(TOOLS)
	$(PY) -m pip download --quiet --no-deps --no-binary :all: llama-cpp-python==$(LLAMA_CPP_PYTHON) -d $(TOOLS)
	tar xzf $(TOOLS)/llama_cpp_python-$(LLAMA_CPP_PYTHON).tar.gz -C $(TOOLS)
	cmake -S $(TOOLS)/llama_cpp_python-$(LLAMA_CPP_PYTHON)/vendor/llama.cpp -B $(TOOLS)/build \
		-DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
		-DLLAMA_BUILD_SERVER=ON
	cmake --build $(TOOLS)/build --target llama-server -j$$(nproc)

run: venv models
	$(PY) -m gui

test: venv models llama-server llama-perplexity
	GGUF_ARENA_LLAMA_SERVER=$(LLAMA_SERVER) GGUF_ARENA_LLAMA_PERPLEXITY=$(LLAMA_PERPLEXITY) QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: venv models
	QT_QPA_PLATFORM=offscreen $(PY) tests/bench/run_bench.py

# The long overload runs (200 churn cycles, 50 reloads, 8,000-token answers); prints a table of figures.
soak: venv models
	QT_QPA_PLATFORM=offscreen $(PY) tests/soak/run_soak.py

# A one-folder desktop app in dist/gguf-arena (packaging/README.md), then the slow tests run the built app.
package: venv models
	$(PY) -m pip install -e '.[package]'
	$(PY) -m PyInstaller --noconfirm --workpath build/pyinstaller --distpath dist packaging/gguf-arena.spec
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m slow tests/packaging

# The README's pictures (resources/screenshots/*.png) from the real app with the default pair, offscreen.
screenshots: venv models
	$(PY) -m gui screenshots --out resources/screenshots

clean:
	rm -rf $(VENV) build dist .pytest_cache *.egg-info
	find . -path ./models -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
