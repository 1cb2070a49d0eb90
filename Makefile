# Set-up and the two jobs of the README's quick start. Each target installs what it needs into .venv.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: check test bench mutate clean

check: $(VENV)/.installed  ## main job: synthesize app.py and run every compliance pack over it
	$(BIN)/omics-secure check

test: $(VENV)/.installed  ## the whole suite: ruff, mypy, pytest
	$(BIN)/ruff check omics_secure tests app.py benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed  ## timings and ratios; see benchmarks/README.md
	$(BIN)/python benchmarks/run.py

mutate: $(VENV)/.installed  ## mutation testing of compliance/rules/ (long; not part of CI); see benchmarks/README.md
	rm -rf mutants
	$(BIN)/mutmut run --max-children $${MUTATE_JOBS:-2}
	$(BIN)/mutmut results > mutants/results.txt || true
	@echo "summary: mutants/results.txt; record the score in benchmarks/README.md"

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "omics-secure needs Python 3.11 or newer")'
	@command -v node >/dev/null || { echo "omics-secure needs Node.js (the AWS CDK runs on it)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	@touch $@

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .mypy_cache .ruff_cache mutants
