# Every target sets itself up: a fresh machine needs only python3 (>= 3.11) and make.
# The venv is rebuilt when missing or broken, and reinstalled only when pyproject.toml or
# constraints.txt change (the stamp file records the last good install).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.likekit-installed
SAMPLE := data/samples/creator.csv

.PHONY: setup report test bench lab lint clean

setup:
	@$(PY) -c "import likekit" 2>/dev/null || rm -f $(STAMP)
	@$(MAKE) --no-print-directory $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PY) -c "import sys" 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	@touch $@

report: setup
	$(BIN)/likekit report $(SAMPLE)

# pytest's testpaths are tests/ and likekit/ (the docstrings' examples, --doctest-modules)
test: setup
	$(BIN)/pytest
	$(BIN)/pytest -p no:cacheprovider --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg notebooks

# one BLAS thread: the benchmarks compare single-process runs on a 2-core machine
bench: setup
	OPENBLAS_NUM_THREADS=1 $(PY) -m benchmarks

lab: setup
	$(BIN)/jupyter lab notebooks

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) reports/* .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
