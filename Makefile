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
TEST_EXTRAS  := test,distributed,onnx,tracking,progress
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
	$(PIP) install --quiet -e ".[$(TEST_EXTRAS)]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(PY) examples/demo_digits_search.py

test: install-test
	$(PY) -m pytest -q

# The suite under the oldest supported scikit-learn (the compatibility code of
# skperceptron/_validation.py). Installing ".[test]" with the pins checks that the
# declared requirements accept them; the suite then imports this source tree and the
# extension that `install-test` compiled in place (built against numpy 2, the
# extension runs on numpy 1.25 as well), as `make test` does.
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
DOCS_EXTRAS := docs,distributed,onnx,tracking,progress
$(VENV)/.installed-docs: $(BUILD_INPUTS) | $(PY)
	$(PIP) install --quiet -e ".[$(DOCS_EXTRAS)]"
	touch $@

docs: $(VENV)/.installed-docs
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

bench: install-test
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) $(OLDEST) build *.egg-info skperceptron/*.so skperceptron/_perceptron_fast.c skperceptron/_kernels.c
