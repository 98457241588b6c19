"""Callbacks on scikit-learn < 1.9 (no ``sklearn.callback``): a clear error, and fitting
works as before. Runs in the oldest-scikit-learn environment (``make test-oldest``);
``tests/test_callbacks.py`` covers scikit-learn >= 1.9, including this error with the
module's import blocked."""

import importlib.util

import numpy as np
import pytest
from test_safety import _state

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sklearn.callback") is not None,
    reason="scikit-learn has sklearn.callback (>= 1.9)",
)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor, PerceptronClassifier])
def test_set_callbacks_names_the_scikit_learn_it_needs(Estimator):
    est = Estimator(max_iter=3, random_state=0)
    with pytest.raises(ImportError, match=r"scikit-learn >= 1\.9"):
        est.set_callbacks(object())
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    # The refused call changed nothing: every attribute of the fit is that of an
    # estimator never offered a callback.
    fitted, reference = est.fit(X, y), Estimator(max_iter=3, random_state=0).fit(X, y)
    assert _state(fitted) == _state(reference)
    np.testing.assert_array_equal(fitted.predict(X), reference.predict(X))
