"""Shared data sets and the suite's warning policy.

Data fixtures
-------------
Session-scoped and read-only (``writeable=False``): a test that wants to modify a data
set copies it first, and every estimator is exercised on read-only input for free.

``iris``
    ``load_iris``, unscaled: 150 x 4, three classes.
``digits``
    ``load_digits`` scaled to [0, 1] (``X / 16``): 1797 x 64, ten classes. Tests take
    the first ``n`` rows they need (``X[:n]``), which are the same rows as before.
``regression``
    ``make_regression(n_samples=200, n_features=8, noise=5.0, random_state=0)``.

ConvergenceWarning policy
-------------------------
Tests fit small networks for a few epochs, so a ``ConvergenceWarning`` is the normal
outcome and says nothing about correctness. It is ignored suite-wide, in one place:
``filterwarnings`` in ``pyproject.toml`` (``ignore::sklearn.exceptions.ConvergenceWarning``).
Tests do not wrap fits in ``warnings.catch_warnings`` for it. A test *about* the warning
asserts it with ``pytest.warns(ConvergenceWarning, ...)`` or records it with
``warnings.catch_warnings(record=True)`` and ``warnings.simplefilter("always")``; both
see the warning whatever the suite-wide filter says.
"""

import pytest
from sklearn.datasets import load_digits, load_iris, make_regression


def _read_only(*arrays):
    for array in arrays:
        array.flags.writeable = False
    return arrays


@pytest.fixture(scope="session")
def iris():
    X, y = load_iris(return_X_y=True)
    return _read_only(X, y)


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    return _read_only(X / 16, y)


@pytest.fixture(scope="session")
def regression():
    X, y = make_regression(n_samples=200, n_features=8, noise=5.0, random_state=0)
    return _read_only(X, y)
