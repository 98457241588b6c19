# The README's two commands: `make demo` and `make test`. Both create .venv if absent.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test install install-test bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Editable install: the Cython extension is compiled in place by the package's own build.
install: $(PY)
	$(PIP) install --quiet -e .

install-test: $(PY)
	$(PIP) install --quiet -e ".[test,distributed]"

demo: install
	$(PY) examples/demo_digits_search.py

test: install-test
	$(PY) -m pytest -q

# The HTML documentation, warnings as errors; sphinx-gallery runs examples/plot_*.py.
docs: $(PY)
	$(PIP) install --quiet -e ".[docs]"
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

bench: install-test
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) build *.egg-info skperceptron/*.so skperceptron/_perceptron_fast.c
