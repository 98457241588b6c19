# The README's two commands: `make demo` and `make test`. Both create .venv if absent.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

# The oldest supported scikit-learn, with the oldest numpy and scipy of pyproject.toml.
OLDEST     := .venv-oldest
OLDEST_PY  := $(OLDEST)/bin/python
OLDEST_PINS := "scikit-learn==1.6.1" "numpy==1.25.2" "scipy==1.11.4"

# What an install depends on: reinstall (and recompile) only when one of these changed.
BUILD_INPUTS := pyproject.toml setup.py $(wildcard skperceptron/*.pyx)
TEST_EXTRAS  := test,distributed,onnx,tracking,progress,array-api
# PyTorch for the Array API tests and the GPU example (the `array-api` extra asks only
# for torch>=2.4). Pinned so that the resolver takes a known build: where the package
# index offers a CPU-only wheel of this version it is the one installed. Override with
# `make test TORCH=...` (a change does not trigger a reinstall by itself: `make clean`).
TORCH        ?= torch==2.13.0
# scikit-learn accepts `array_api_dispatch=True` only when SciPy's own Array API support
# is on, which SciPy reads from this variable once, when it is first imported. Without
# it the Array API tests skip and the GPU example cannot run, so the test and docs
# recipes set it for pytest and Sphinx.
ARRAY_API_ENV := SCIPY_ARRAY_API=1
RUFF         := ruff==0.17.6

.PHONY: demo test test-oldest lint install install-test bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Editable installs: the Cython extension is compiled in place by the package's own
# build. The stamp files record that an install is current.
$(VENV)/.installed: $(BUILD_INPUTS) | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BUILD_INPUTS) | $(PY)
	$(PIP) install --quiet -e ".[$(TEST_EXTRAS)]" "$(TORCH)"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(PY) examples/demo_digits_search.py

test: install-test
	$(ARRAY_API_ENV) $(PY) -m pytest -q

# The suite under the oldest supported scikit-learn (the compatibility code of
# skperceptron/_validation.py). Installing ".[test]" with the pins checks that the
# declared requirements accept them; the suite then imports this source tree and the
# extension that `install-test` compiled in place (built against numpy 2, the
# extension runs on numpy 1.25 as well), as `make test` does. No PyTorch and no
# SCIPY_ARRAY_API here: scikit-learn 1.6 with SciPy 1.11 cannot dispatch to the Array
# API, and the package must work there as a plain numpy one.
$(OLDEST)/.installed: $(BUILD_INPUTS) | install-test
	test -x $(OLDEST_PY) || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST_PY) -m pip install --quiet --upgrade pip
	$(OLDEST_PY) -m pip install --quiet ".[test]" $(OLDEST_PINS)
	touch $@

test-oldest: $(OLDEST)/.installed
	PYTHONPATH=$(CURDIR) $(OLDEST_PY) -m pytest -q -p no:cacheprovider

# The linter, configured in pyproject.toml ([tool.ruff]); pinned so that CI results do
# not change with a ruff release.
$(VENV)/.installed-lint: | $(PY)
	$(PIP) install --quiet "$(RUFF)"
	touch $@

lint: $(VENV)/.installed-lint
	$(PY) -m ruff check .

# The HTML documentation, warnings as errors; sphinx-gallery runs examples/plot_*.py.
# The gallery runs every example and autodoc imports every public module, the optional
# ones (ONNX, tracking, Dask) included.
# The GPU example needs PyTorch (on the CPU when no GPU is there) and SCIPY_ARRAY_API.
DOCS_EXTRAS := docs,distributed,onnx,tracking,progress,array-api
$(VENV)/.installed-docs: $(BUILD_INPUTS) | $(PY)
	$(PIP) install --quiet -e ".[$(DOCS_EXTRAS)]" "$(TORCH)"
	touch $@

docs: $(VENV)/.installed-docs
	$(ARRAY_API_ENV) $(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

bench: install-test
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) $(OLDEST) build *.egg-info skperceptron/*.so skperceptron/_perceptron_fast.c skperceptron/_kernels.c
