"""Array API dispatch on scikit-learn < 1.9: a clear error for non-NumPy input, and
NumPy input works as before. Runs in the oldest-scikit-learn environment
(``make test-oldest``), where scikit-learn itself cannot switch dispatch on (its scipy
is too old), so the configuration is stubbed to say it is on."""

import numpy as np
import pytest

from skperceptron import MLPClassifier, MLPRegressor, _validation

pytestmark = pytest.mark.skipif(
    _validation.ARRAY_API_SUPPORTED, reason="scikit-learn >= 1.9 supports Array API dispatch"
)


class _ForeignArray:
    """Stands for a tensor of another library: it speaks DLPack, it is not numpy."""

    def __init__(self, values):
        self.values = values
        self.shape = values.shape

    def __dlpack__(self, **kwargs):
        return self.values.__dlpack__(**kwargs)


@pytest.fixture
def dispatch_on(monkeypatch):
    monkeypatch.setattr(_validation, "get_config", lambda: {"array_api_dispatch": True})


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_foreign_input_names_the_scikit_learn_it_needs(Estimator, dispatch_on, monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), np.arange(30) % 2
    with pytest.raises(ValueError, match=r"Array API dispatch.*scikit-learn >= 1\.9"):
        Estimator(max_iter=2).fit(_ForeignArray(X), y)
    # NumPy input takes the usual path: the same fit as with dispatch off.
    with_dispatch = Estimator(max_iter=2, random_state=0).fit(X, y)
    monkeypatch.undo()
    without = Estimator(max_iter=2, random_state=0).fit(X, y)
    for a, b in zip(with_dispatch.coefs_ + with_dispatch.intercepts_,
                    without.coefs_ + without.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)
