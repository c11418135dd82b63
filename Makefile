# Every target sets itself up: a fresh machine needs only python3 (>= 3.11) and make.
# The venv is rebuilt when missing or broken, and reinstalled only when pyproject.toml or
# constraints.txt change (the stamp files record the last good installs). `make report` and
# `make lab` install the runtime dependencies only; test, bench and lint add the dev extras.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt
RUNTIME_STAMP := $(VENV)/.likekit-runtime
DEV_STAMP     := $(VENV)/.likekit-dev
SAMPLE := data/samples/creator.csv
# JupyterLab refuses to run as root (containers) unless told
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: setup runtime report test bench lab lint clean

runtime:
	@$(PY) -c "import likekit" 2>/dev/null || rm -f $(RUNTIME_STAMP) $(DEV_STAMP)
	@$(MAKE) --no-print-directory $(RUNTIME_STAMP)

setup:
	@$(PY) -c "import likekit" 2>/dev/null || rm -f $(RUNTIME_STAMP) $(DEV_STAMP)
	@$(MAKE) --no-print-directory $(DEV_STAMP)

$(RUNTIME_STAMP): pyproject.toml constraints.txt
	@$(PY) -c "import sys" 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PIP) -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(PIP) -e ".[dev]"
	@touch $@

report: runtime
	$(BIN)/likekit report $(SAMPLE)

# pytest's testpaths are tests/ and likekit/ (the docstrings' examples, --doctest-modules)
test: setup
	$(BIN)/pytest
	$(BIN)/pytest -p no:cacheprovider --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg notebooks

# one BLAS thread: the benchmarks compare single-process runs on a 2-core machine
bench: setup
	OPENBLAS_NUM_THREADS=1 $(PY) -m benchmarks

lab: runtime
	$(BIN)/jupyter lab $(LAB_ROOT) notebooks

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) reports/* .pytest_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
