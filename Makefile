# GGUF Arena set-up: `make run` to use it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: venv models run test bench soak package clean screenshots

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

run: venv models
	$(PY) -m gui

test: venv models
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

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
