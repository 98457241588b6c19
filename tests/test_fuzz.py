"""Property-based fuzzing of fit / predict / partial_fit for every estimator.

Whatever shapes, dtypes, finite values (extremes included), label sets and
hyperparameters Hypothesis draws, a fit on input that meets the estimators' stated
preconditions (two classes or more, weights with a positive sum, y >= 0 for the Poisson
loss) must succeed, unless it names one of the two kinds of refusal that valid input
may meet (``ALLOWED_REFUSALS``); predictions are then finite and predict_proba rows sum
to 1. NaN and infinities are refused by every entry point (``tests/test_safety.py``).
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # reproducible in CI
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Finite values from tiny to large, with exact zeros and ties. Every constant is exact
# in float32 (2**-100 is about 7.9e-31), so an array of either dtype holds the value drawn.
VALUES = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([0.0, 2.0**-100, -(2.0**-100), 1.0, -1.0, 1e6, -1e6]),
)


# What valid input may still meet, by the start of its message: the validation split
# of early stopping on too few rows (scikit-learn's ``train_test_split`` refuses it, or
# the held-out part holds no row of a class), and weights driven to inf or NaN by a large
# learning rate on large values (scikit-learn's MLP raises the same message).
ALLOWED_REFUSALS = (
    "With n_samples=",
    "The test_size",
    "The train_size",
    "The least populated class",
    "The validation set is too small",
    "The sample weights for validation set are all zero",
    "Solver produced non-finite parameter weights",
)


@st.composite
def datasets(draw, classification, nonnegative_y=False):
    """Finite X, y and sample_weight that meet every stated precondition."""
    n = draw(st.integers(2, 25))
    d = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    X = draw(hnp.arrays(dtype, (n, d), elements=VALUES))
    if classification:
        labels = draw(
            st.sampled_from([[0, 1], [-1, 1], ["a", "b", "c"], [3, 7, 9, 11], [True, False]])
        )
        y = np.asarray(draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n)))
        if len(np.unique(y)) < 2:  # one class is refused by design (tested elsewhere)
            y[draw(st.integers(0, n - 1))] = next(c for c in labels if c != y[0])
    else:
        low = 0.0 if nonnegative_y else -1e3
        y = draw(hnp.arrays(np.float64, (n,), elements=st.floats(low, 1e3)))
        if nonnegative_y and not y.any():  # the Poisson loss needs a positive mean
            y[0] = 1.0
    sample_weight = None
    if draw(st.booleans()):
        sample_weight = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0, 10)))
        sample_weight[draw(st.integers(0, n - 1))] = draw(st.floats(0.5, 10))
    return X, y, sample_weight


@st.composite
def mlp_params(draw):
    return dict(
        hidden_layer_sizes=draw(st.sampled_from([(), (1,), (3,), (4, 2)])),
        activation=draw(st.sampled_from(["relu", "tanh", "logistic", "identity", "gelu"])),
        solver=draw(st.sampled_from(["lbfgs", "sgd", "adam"])),
        alpha=draw(st.sampled_from([0.0, 1e-4, 10.0])),
        learning_rate_init=draw(st.sampled_from([1e-4, 1e-2, 1.0])),
        batch_size=draw(st.sampled_from(["auto", 1, 7])),
        max_iter=draw(st.integers(1, 4)),
        early_stopping=draw(st.booleans()),
        random_state=0,
    )


def _check_contract(make, X, y, sample_weight, classification):
    est = make()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y, sample_weight=sample_weight)
    except ValueError as error:
        if not str(error).startswith(ALLOWED_REFUSALS):
            raise
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        prediction = est.predict(X)
    assert len(prediction) == len(X)
    if classification:
        assert set(np.unique(prediction)) <= set(est.classes_)
        proba = est.predict_proba(X)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    else:
        assert np.isfinite(prediction).all()
    if hasattr(est, "partial_fit"):
        extra = {"classes": est.classes_} if classification else {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.set_params(early_stopping=False).partial_fit(X, y, **extra)
        except ValueError as error:
            if not str(error).startswith(ALLOWED_REFUSALS):
                raise
        else:
            assert np.isfinite(est.predict_proba(X) if classification else est.predict(X)).all()


@st.composite
def perceptron_params(draw):
    return dict(
        penalty=draw(st.sampled_from([None, "l2", "l1", "elasticnet"])),
        alpha=draw(st.sampled_from([1e-4, 1.0])),
        eta0=draw(st.sampled_from([1e-3, 1.0, 1e3])),
        average=draw(st.sampled_from([False, True, 3])),
        max_iter=draw(st.integers(1, 5)),
        early_stopping=draw(st.booleans()),
        random_state=0,
    )


@FUZZ
@given(data=datasets(classification=True), params=mlp_params())
def test_fuzz_mlp_classifier(data, params):
    _check_contract(lambda: MLPClassifier(**params), *data, classification=True)


@st.composite
def regression_cases(draw):
    loss = draw(st.sampled_from(["squared_error", "huber", "absolute_error", "poisson"]))
    return loss, draw(datasets(classification=False, nonnegative_y=loss == "poisson"))


@FUZZ
@given(case=regression_cases(), params=mlp_params())
def test_fuzz_mlp_regressor(case, params):
    loss, data = case
    _check_contract(lambda: MLPRegressor(loss=loss, **params), *data, classification=False)


@FUZZ
@given(data=datasets(classification=True), params=perceptron_params())
def test_fuzz_perceptron(data, params):
    _check_contract(lambda: PerceptronClassifier(**params), *data, classification=True)

