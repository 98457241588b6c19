"""Production safety: bad input, failed calls, divergence, interrupts, threads, memory,
persistence. Through the public API of all three estimators."""

import pickle
import re
import sys
import threading
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

import skperceptron
from skperceptron import (
    InconsistentVersionWarning,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    _checkpoint,
)
from skperceptron._network import Objective
from skperceptron._optimizers import SGD

RNG = np.random.RandomState(0)
X_OK = RNG.normal(size=(40, 3))
Y_CLS = np.arange(40) % 2
Y_REG = X_OK @ np.array([1.0, -2.0, 0.5])

ESTIMATORS = {
    "mlp_classifier": lambda: MLPClassifier((5,), max_iter=20, random_state=0),
    "mlp_regressor": lambda: MLPRegressor(hidden_layer_sizes=(5,), max_iter=20, random_state=0),
    "perceptron": lambda: PerceptronClassifier(random_state=0),
}


def _state(est):
    """Every attribute, serialised (order-independent)."""
    return {k: pickle.dumps(v) for k, v in vars(est).items()}


def _fitted_state(est):
    """:func:`_state` without the parameters: what training wrote."""
    params = est.get_params(deep=False)
    return {k: v for k, v in _state(est).items() if k not in params}


def _y_for(name):
    return Y_REG if name == "mlp_regressor" else Y_CLS


def _with(X=None, **changes):
    X = X_OK.copy() if X is None else X
    for (i, j), v in changes.get("set", {}).items():
        X[i, j] = v
    return X


BAD_FIT_INPUTS = [
    ("nan in X", lambda y: (_with(set={(0, 0): np.nan}), y, {}), "NaN"),
    ("inf in X", lambda y: (_with(set={(3, 1): np.inf}), y, {}), "infinity"),
    (
        "nan in y",
        lambda y: (X_OK, np.where(np.arange(40) == 5, np.nan, y.astype(float)), {}),
        "NaN",
    ),
    (
        "nan sample_weight",
        lambda y: (X_OK, y, {"sample_weight": np.where(np.arange(40) == 2, np.nan, 1.0)}),
        "NaN",
    ),
    (
        "inf sample_weight",
        lambda y: (X_OK, y, {"sample_weight": np.where(np.arange(40) == 2, np.inf, 1.0)}),
        "infinity",
    ),
    (
        "negative sample_weight",
        lambda y: (X_OK, y, {"sample_weight": np.where(np.arange(40) == 2, -1.0, 1.0)}),
        "(?i)negative",
    ),
    ("length mismatch", lambda y: (X_OK, y[:-1], {}), "inconsistent numbers of samples"),
    ("empty X", lambda y: (X_OK[:0], y[:0], {}), "0 sample"),
    ("1-D X", lambda y: (X_OK[:, 0], y, {}), "Expected 2D array"),
    ("3-D X", lambda y: (X_OK.reshape(40, 3, 1), y, {}), "dim 3"),
    (
        "string X",
        lambda y: (np.full((40, 3), "abc", dtype=object), y, {}),
        "could not convert|string",
    ),
    ("complex X", lambda y: (X_OK + 1j, y, {}), "Complex data not supported"),
]


@pytest.mark.parametrize("case", BAD_FIT_INPUTS, ids=[c[0] for c in BAD_FIT_INPUTS])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_bad_input_raises_a_clear_error_and_keeps_the_fitted_model(name, case):
    _, make, message = case
    fitted = ESTIMATORS[name]()
    fitted.fit(X_OK, _y_for(name))
    before = _state(fitted)
    reference = fitted.predict(X_OK)

    X, y, kwargs = make(_y_for(name))
    with pytest.raises((ValueError, TypeError), match=message):
        ESTIMATORS[name]().fit(X, y, **kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        fitted.fit(X, y, **kwargs)
    np.testing.assert_array_equal(fitted.predict(X_OK), reference)
    assert _state(fitted) == before  # not a single attribute changed


@pytest.mark.parametrize("entry", ["fit", "partial_fit", "predict"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_non_finite_x_is_refused_by_every_entry_and_keeps_the_model(name, dtype, value, entry):
    # scikit-learn's check_estimators_nan_inf, for each entry point, value and dtype.
    X = X_OK.astype(dtype)
    fitted = ESTIMATORS[name]()
    fitted.fit(X, _y_for(name))
    before = _state(fitted)
    bad = _with(X.copy(), set={(5, 1): value})
    classes = {} if name == "mlp_regressor" else {"classes": [0, 1]}
    call = {"fit": lambda: fitted.fit(bad, _y_for(name)), "predict": lambda: fitted.predict(bad),
            "partial_fit": lambda: fitted.partial_fit(bad, _y_for(name), **classes)}[entry]
    with pytest.raises(ValueError, match="NaN|infinity"):
        call()
    assert _state(fitted) == before  # not a single attribute changed


@pytest.mark.parametrize("kind", [str, bytes, "list"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_string_x_is_refused_at_prediction_as_sklearn_does(name, kind):
    # scikit-learn's fit converts numeric strings; its predict refuses them (oracle:
    # its own estimator, the same data).
    reference = {"mlp_classifier": SkMLPClassifier, "mlp_regressor": SkMLPRegressor,
                 "perceptron": Perceptron}[name]
    text = X_OK.astype(str)
    X = text.tolist() if kind == "list" else text.astype(kind)
    for model in (reference(max_iter=5), ESTIMATORS[name]()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(text, _y_for(name))
        for method in ("predict", "predict_proba", "decision_function"):
            if not hasattr(model, method):
                continue
            with pytest.raises(ValueError, match="not compatible with arrays of bytes/strings"):
                getattr(model, method)(X)
    # Object arrays of numbers are numbers (scikit-learn converts them too).
    np.testing.assert_array_equal(model.predict(X_OK), model.predict(X_OK.astype(object)))


@pytest.mark.parametrize("weight", [np.nan, np.inf, -1.0])
@pytest.mark.parametrize("name", ["mlp_classifier", "perceptron"])
def test_bad_class_weight_raises_and_keeps_the_model(name, weight):
    # Class weights multiply the sample weights, which must be finite and >= 0.
    fitted = ESTIMATORS[name]().fit(X_OK, Y_CLS)
    before = _state(fitted)
    fitted.set_params(class_weight={0: weight, 1: 1.0})
    with pytest.raises(ValueError, match="class_weight must give every class a finite, non"):
        fitted.fit(X_OK, Y_CLS)
    fitted.set_params(class_weight=None)
    assert _state(fitted) == before


@pytest.mark.parametrize("name", ESTIMATORS)
def test_failed_partial_fit_and_warm_start_keep_the_model(name):
    est = ESTIMATORS[name]()
    if name == "mlp_regressor":
        est.set_params(solver="sgd")
        est.partial_fit(X_OK, Y_REG)
    else:
        est.partial_fit(X_OK, Y_CLS, classes=[0, 1])
    before, reference = _state(est), est.predict(X_OK)
    bad_calls = [
        (lambda: est.partial_fit(X_OK[:, :2], _y_for(name)), "2 features, but .* expecting 3"),
        (lambda: est.partial_fit(_with(set={(0, 0): np.nan}), _y_for(name)), "NaN"),
    ]
    if name != "mlp_regressor":
        label_outside_classes = lambda: est.partial_fit(X_OK, np.where(Y_CLS == 1, 7, 0))
        bad_calls.append((label_outside_classes, "not in"))
    for call, message in bad_calls:
        with pytest.raises(ValueError, match=message):
            call()
        np.testing.assert_array_equal(est.predict(X_OK), reference)
        assert _state(est) == before
    with pytest.raises(ValueError, match="features"):
        est.predict(X_OK[:, :2])

    # The same failures in a warm-started fit, which continues from the stored weights.
    warm = ESTIMATORS[name]().set_params(warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X_OK, _y_for(name))
    before, reference = _state(warm), warm.predict(X_OK)
    for X_bad, message in [(X_OK[:, :2], "2 features, but .* expecting 3"),
                           (_with(set={(0, 0): np.nan}), "NaN")]:
        with pytest.raises(ValueError, match=message):
            warm.fit(X_bad, _y_for(name))
        np.testing.assert_array_equal(warm.predict(X_OK), reference)
        assert _state(warm) == before


@pytest.mark.parametrize("Estimator", [MLPClassifier, PerceptronClassifier])
def test_classes_changing_under_warm_start(Estimator):
    est = Estimator(warm_start=True, random_state=0)
    est.fit(X_OK, Y_CLS)
    before = _state(est)
    # Both refuse, naming the classes (the perceptron names the old and the new ones).
    match = "same classes" if Estimator is MLPClassifier else r"\[0, 1\].*\[0, 1, 2\]"
    with pytest.raises(ValueError, match=match):
        est.fit(X_OK, np.arange(40) % 3)
    assert _state(est) == before


@pytest.mark.parametrize("name", ["mlp_classifier", "perceptron"])
def test_single_class_is_refused_with_a_message(name):
    with pytest.raises(ValueError, match="class"):
        ESTIMATORS[name]().fit(X_OK, np.zeros(40, dtype=int))


@pytest.mark.parametrize("name, params", [
    ("mlp_classifier", {"max_grad_norm": -1.0}), ("mlp_classifier", {"alpha": np.nan}),
    ("mlp_regressor", {"batch_size": -5}), ("mlp_regressor", {"learning_rate_warmup": 0.5}),
    ("perceptron", {"penalty": "l3"}), ("perceptron", {"eta0": -1.0}),
])
def test_partial_fit_validates_parameters_set_after_a_fit(name, params):
    # scikit-learn's _fit_context validates only a first partial_fit: a value set
    # later would otherwise reach training (a negative clipping bound reverses it).
    est = ESTIMATORS[name]()
    est.partial_fit(X_OK, _y_for(name), **({} if name == "mlp_regressor" else
                                          {"classes": np.unique(Y_CLS)}))
    before = _state(est.set_params(**params))
    with pytest.raises(ValueError, match=f"The '{next(iter(params))}' parameter"):
        est.partial_fit(X_OK, _y_for(name))
    assert _state(est) == before


def test_poisson_refuses_negative_targets():
    with pytest.raises(ValueError, match="of y are negative"):
        MLPRegressor(loss="poisson").fit(X_OK, Y_REG)
    counts = np.abs(Y_REG)
    with pytest.raises(ValueError, match="of y_val are negative"):
        MLPRegressor(loss="poisson", early_stopping=True).fit(
            X_OK, counts, X_val=X_OK[:5], y_val=Y_REG[:5] - 10)


@pytest.mark.parametrize(
    "Estimator, params",
    [
        (MLPClassifier, dict(hidden_layer_sizes=-1)),
        (MLPClassifier, dict(learning_rate_init=-1.0)),
        (MLPRegressor, dict(max_iter=0)),
        (MLPRegressor, dict(alpha=-1.0)),
        (MLPClassifier, dict(batch_size=0)),
        (MLPClassifier, dict(activation="swish-ish")),
        (PerceptronClassifier, dict(eta0=-1.0)),
        (PerceptronClassifier, dict(penalty="l3")),
    ],
)
def test_absurd_hyperparameters_are_caught(Estimator, params):
    (name,) = params
    fitted = Estimator(max_iter=5, random_state=0).fit(X_OK, Y_CLS)
    before, good_params = _state(fitted), fitted.get_params()
    # scikit-learn's wording, naming the parameter (InvalidParameterError is a ValueError).
    message = f"The '{name}' parameter of {Estimator.__name__} must be"
    with pytest.raises(ValueError, match=message):
        Estimator(**params).fit(X_OK, Y_CLS)
    with pytest.raises(ValueError, match=message):
        fitted.set_params(**params).fit(X_OK, Y_CLS)
    fitted.set_params(**good_params)
    assert _state(fitted) == before  # the failed fit left the fitted model as it was


@pytest.mark.parametrize("name, method, scale", [
    ("mlp_classifier", "predict", np.finfo(np.float64).max),
    ("mlp_classifier", "predict_proba", np.finfo(np.float64).max),
    ("mlp_classifier", "decision_function", np.finfo(np.float64).max),
    ("mlp_regressor", "predict", np.finfo(np.float64).max),
    ("poisson", "predict", 1e300),  # the products stay finite, exp overflows
])
def test_finite_input_that_overflows_the_network_is_refused(name, method, scale):
    # Finite X, but so large that the network overflows: a NaN probability (and a
    # label argmax'ed from it) or an inf prediction would pass for an answer.
    if name == "poisson":
        est = MLPRegressor(hidden_layer_sizes=(5,), loss="poisson", max_iter=20,
                           random_state=0)
        est.fit(X_OK, np.abs(Y_REG))
    else:
        est = ESTIMATORS[name]().fit(X_OK, _y_for(name))
    X = np.sign(X_OK[:6]) * scale
    with pytest.raises(ValueError, match=rf"\.{method}: the network's outputs are not finite"):
        getattr(est, method)(X)
    assert np.isfinite(getattr(est, method)(X_OK)).all()  # ordinary rows still work


# --------------------------------------------------------------- divergence
def _diverging_regressor(learning_rate_init, max_iter=30):
    # A linear network on unscaled iris: plain SGD overflows within a few epochs.
    return MLPRegressor(
        hidden_layer_sizes=(50,),
        activation="identity",
        solver="sgd",
        learning_rate_init=learning_rate_init,
        max_iter=max_iter,
        tol=0,
        random_state=0,
    )


def _divergence_warnings(caught):
    return [w for w in caught if "diverged" in str(w.message)]


@pytest.mark.parametrize("learning_rate_init", [0.05, 1.0])
def test_a_diverging_early_stopping_fit_leaks_no_numpy_warning(learning_rate_init, iris):
    # The validation R2 of huge but finite outputs squares them: an overflow inside
    # the library's own bookkeeping, which the divergence warning already reports.
    X, y = iris
    est = _diverging_regressor(learning_rate_init).set_params(early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert all(np.isfinite(c).all() for c in est.coefs_)


@pytest.mark.parametrize("learning_rate_init", [0.05, 1.0, 10.0, 1e50])
def test_divergence_keeps_finite_weights_of_an_earlier_epoch(learning_rate_init, iris):
    X, y = iris
    est = _diverging_regressor(learning_rate_init)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    diverged = _divergence_warnings(caught)
    assert len(diverged) == 1, [str(w.message) for w in caught]
    assert diverged[0].category is ConvergenceWarning
    epoch = int(re.search(r"at epoch (\d+)", str(diverged[0].message)).group(1))
    assert 1 < epoch < 30  # it did diverge, and not in the first epoch
    assert all(np.isfinite(c).all() for c in est.coefs_ + est.intercepts_)
    assert np.isfinite(est.predict(X)).all()  # finite weights that do not overflow either
    # The diverged epoch is rolled back whole: weights, optimizer state, loss_, the
    # curves and counters are those of a fit that stopped after the last finite epoch.
    reference = _diverging_regressor(learning_rate_init, max_iter=epoch - 1).fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == epoch - 1
    assert _fitted_state(est) == _fitted_state(reference)


def quadratic_divergence(learning_rate_init):
    """Unscaled quadratic targets on which SGD diverges after some finite epochs (the
    rate sets after how many): the data and the regressor's parameters."""
    rng = np.random.RandomState(3)
    X = rng.randn(240, 5) * 10
    y = (X**2).sum(axis=1) * 100
    params = dict(hidden_layer_sizes=(12,), solver="sgd",
                  learning_rate_init=learning_rate_init, batch_size=24, random_state=0)
    return X, y, params


def test_partial_fit_continues_a_diverged_fit_as_the_last_finite_epoch():
    # SGD diverges in its second epoch. The kept model's optimizer state is the first
    # epoch's (the diverged one's velocity was NaN, and every later partial_fit
    # failed), so a partial_fit on benign rows continues it as it continues a fit of
    # one epoch.
    X, y, params = quadratic_divergence(3e-6)
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 2"), \
            np.errstate(over="ignore", invalid="ignore"):  # the diverging products
        est = MLPRegressor(max_iter=20, **params).fit(X, y)
    reference = MLPRegressor(max_iter=1, **params).fit(X, y)
    assert _fitted_state(est) == _fitted_state(reference)
    assert np.isfinite(est.loss_) and np.isfinite(est._optimizer_state["velocity"]).all()
    for model in (est, reference):
        model.partial_fit(X[:24] / 1000, y[:24] / 1e6)
    assert _fitted_state(est) == _fitted_state(reference)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_divergence_in_the_first_epoch_raises_and_keeps_the_fitted_model(iris, early_stopping):
    # With early stopping too: the best "epoch" would be the untrained start.
    X, y = iris
    est = _diverging_regressor(1e150).set_params(early_stopping=early_stopping)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="non-finite"):
            est.fit(X, y)
    assert not _divergence_warnings(caught)  # it would say weights were kept
    assert not hasattr(est, "coefs_")  # nothing finite to keep

    fitted = _diverging_regressor(1e-4, max_iter=3)
    fitted.fit(X, y)
    before = _state(fitted)
    with pytest.raises(ValueError, match="non-finite"):
        fitted.set_params(learning_rate_init=1e150).fit(X, y)
    fitted.set_params(learning_rate_init=1e-4)
    assert _state(fitted) == before


# ---------------------------------------------------------------- interrupts
def _interrupt_at_call(monkeypatch, n):
    """Ctrl-C arrives during the n-th gradient of the training loop (a minibatch, or an
    L-BFGS evaluation); returns the (theta, value) of the calls before it."""
    original = Objective.value_and_data_grad
    evaluated = []

    def interrupted(self, theta, *args, **kwargs):
        if len(evaluated) == n - 1:
            raise KeyboardInterrupt
        value, grad, l2 = original(self, theta, *args, **kwargs)
        evaluated.append((theta.copy(), value))
        return value, grad, l2

    monkeypatch.setattr(Objective, "value_and_data_grad", interrupted)
    return evaluated


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_keyboard_interrupt_leaves_a_usable_model(Estimator, solver, monkeypatch, iris):
    X, y = iris
    evaluated = _interrupt_at_call(monkeypatch, 12)
    est = Estimator(
        hidden_layer_sizes=(5,), solver=solver, batch_size=32, max_iter=50, random_state=0
    )
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit(X, y)
    monkeypatch.undo()
    assert est.predict(X).shape == (150,)
    weights = est.coefs_ + est.intercepts_
    if solver == "lbfgs":
        # The best point evaluated before Ctrl-C (each L-BFGS evaluation is one call:
        # iris fits in one block), in theta's order: coefficients, then intercepts.
        assert len(evaluated) == 11
        best = min(evaluated, key=lambda pair: pair[1])[0]
        np.testing.assert_array_equal(np.concatenate([w.ravel() for w in weights]), best)
        return
    # The model is that of the last completed epoch (11 calls = 2 epochs of 5
    # batches + 1), in every attribute (the optimizer's state too, which the third
    # epoch's first step had advanced): two epochs from scratch reproduce it, and a
    # partial_fit continues both alike.
    ref = Estimator(
        hidden_layer_sizes=(5,), solver=solver, batch_size=32, max_iter=2, random_state=0
    )
    ref.fit(X, y)
    assert _fitted_state(est) == _fitted_state(ref)
    est.partial_fit(X, y)
    ref.partial_fit(X, y)
    assert _fitted_state(est) == _fitted_state(ref)


def test_keyboard_interrupt_gives_back_the_dropout_draws_of_the_unfinished_epoch(
    monkeypatch, iris
):
    # Ctrl-C in the third epoch, after it drew the masks of one minibatch: the kept
    # generator state is the second epoch's, so training continues as after two epochs.
    X, y = iris
    params = dict(hidden_layer_sizes=(6,), dropout=0.3, batch_size=32, random_state=0)
    _interrupt_at_call(monkeypatch, 12)
    with pytest.warns(UserWarning, match="interrupted"):
        est = MLPClassifier(max_iter=50, **params).fit(X, y)
    monkeypatch.undo()
    ref = MLPClassifier(max_iter=2, **params).fit(X, y)
    assert _fitted_state(est) == _fitted_state(ref)
    for model in (est, ref):
        model.partial_fit(X, y)
    assert _fitted_state(est) == _fitted_state(ref)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("at", [1, 3])
def test_keyboard_interrupt_at_an_epochs_close_rolls_the_whole_epoch_back(
    at, early_stopping, monkeypatch, iris
):
    # Ctrl-C inside the optimizer's end-of-epoch call (after the stop rule counted the
    # epoch, perhaps as the best one): the model is that of the epochs before it, in
    # every attribute; in the first epoch, nothing was learned.
    X, y = iris
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    params = dict(hidden_layer_sizes=(5,), solver="sgd", batch_size=32, random_state=0,
                  early_stopping=early_stopping, n_iter_no_change=100)
    original, calls = SGD.epoch_end, []

    def interrupted(self, t):
        calls.append(t)
        if len(calls) == at:
            raise KeyboardInterrupt
        return original(self, t)

    monkeypatch.setattr(SGD, "epoch_end", interrupted)
    with pytest.warns(UserWarning, match="interrupted"):
        est = MLPClassifier(max_iter=50, **params).fit(X, y)
    monkeypatch.undo()
    if at == 1:
        assert not hasattr(est, "coefs_")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = MLPClassifier(max_iter=at - 1, **params).fit(X, y)
    assert _fitted_state(est) == _fitted_state(reference)


def test_keyboard_interrupt_inside_the_roll_back_of_a_diverged_epoch(monkeypatch):
    # Ctrl-C that lands while a diverged epoch is being undone (here at its history):
    # the loop's handler undoes it again, from the start, and fully.
    X, y, params = quadratic_divergence(1.5e-6)  # diverges in epoch 3
    original, raised = _checkpoint.fields, []

    def fields(obj):
        if sys._getframe(1).f_code.co_name == "restore" and not raised:
            raised.append(True)
            raise KeyboardInterrupt
        return original(obj)

    monkeypatch.setattr(_checkpoint, "fields", fields)
    with pytest.warns(UserWarning, match="interrupted"), np.errstate(over="ignore",
                                                                      invalid="ignore"):
        est = MLPRegressor(max_iter=20, **params).fit(X, y)
    monkeypatch.undo()
    assert raised
    reference = MLPRegressor(max_iter=2, **params).fit(X, y)
    assert _fitted_state(est) == _fitted_state(reference)


def test_keyboard_interrupt_with_early_stopping_says_the_best_epoch_is_kept(monkeypatch, iris):
    # Scaled iris at this rate: the best validation epoch (4) is not the last one
    # completed (7) when Ctrl-C comes in epoch 8.
    X, y = iris
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    params = dict(hidden_layer_sizes=(5,), batch_size=32, early_stopping=True,
                  learning_rate_init=0.3, n_iter_no_change=100, random_state=0)
    _interrupt_at_call(monkeypatch, 40)
    with pytest.warns(UserWarning, match="weights of the best validation epoch so far"):
        est = MLPClassifier(max_iter=50, **params).fit(X, y)
    monkeypatch.undo()
    best = int(np.argmax(est.validation_scores_)) + 1
    assert best < est.n_iter_ == 7
    for epochs in (est.n_iter_, best):  # as fit(max_iter=7): the best epoch's weights
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference = MLPClassifier(max_iter=epochs, **params).fit(X, y)
        for kept, expected in zip(est.coefs_, reference.coefs_, strict=True):
            np.testing.assert_array_equal(kept, expected)


def test_perceptron_keyboard_interrupt_keeps_a_usable_model(monkeypatch):
    from skperceptron import _perceptron_fast

    X, y = make_classification(500, 10, random_state=0)
    original = _perceptron_fast.epoch
    calls = {"n": 0}

    def interrupted(*args):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(_perceptron_fast, "epoch", interrupted)
    est = PerceptronClassifier(tol=None, max_iter=50, shuffle=False, random_state=0)
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit(X, y)
    monkeypatch.setattr(_perceptron_fast, "epoch", original)
    assert est.n_iter_ == 3
    # Exactly the model of three uninterrupted epochs.
    ref = PerceptronClassifier(tol=None, max_iter=3, shuffle=False, random_state=0).fit(X, y)
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)


@pytest.mark.parametrize("fitted", [False, True], ids=["unfitted", "fitted"])
@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_keyboard_interrupt_in_the_first_epoch_keeps_the_model(
    Estimator, solver, fitted, monkeypatch, iris
):
    # Ctrl-C before anything was learned is not a data error: the call warns and the
    # estimator is left exactly as it was (fitted, or unfitted).
    X, y = iris
    est = Estimator(hidden_layer_sizes=(5,), solver=solver, max_iter=5, random_state=0)
    if fitted:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
    before = _state(est)

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Objective, "value_and_data_grad", interrupted)
    monkeypatch.setattr(Objective, "value_and_grad", interrupted)
    kept = "previous fitted model is kept" if fitted else "stays unfitted"
    with pytest.warns(UserWarning, match=f"before the first epoch completed; the .*{kept}"):
        assert est.fit(X, y) is est
    assert _state(est) == before


@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_perceptron_partial_fit_that_fails_keeps_the_model(n_classes, average, monkeypatch):
    # Training updates its weights in place: a partial_fit that overflows, or is
    # interrupted after training (during calibration), must not reach the stored ones.
    X, y = make_classification(200, 4, n_informative=3, n_redundant=0,
                               n_classes=n_classes, random_state=0)
    est = PerceptronClassifier(average=average, random_state=0).fit(X, y)
    before, reference = _state(est), est.decision_function(X)
    with pytest.raises(ValueError, match="overflow"):
        est.partial_fit(X * 1e305, y)
    assert _state(est) == before

    from skperceptron import _perceptron_fit

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_perceptron_fit, "fit_temperature", interrupted)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X, y)
    assert _state(est) == before
    np.testing.assert_array_equal(est.decision_function(X), reference)


def test_a_minibatch_of_zero_weights_is_harmless(iris):
    X, y = iris
    sw = np.where(np.arange(150) % 3 == 0, 0.0, 1.0)
    est = MLPRegressor(
        hidden_layer_sizes=(5,), solver="sgd", batch_size=1, max_iter=2, random_state=0
    )
    est.fit(X, y, sample_weight=sw)
    assert np.isfinite(est.predict(X)).all()


def test_overflow_at_the_initial_weights_is_a_clear_error():
    # exp(0.17 * 521 + 0.75) overflows float32 from the first evaluation on.
    X, y = np.array([[521.0]], dtype=np.float32), np.array([0.0])
    for solver in ("lbfgs", "adam"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(ValueError, match="non-finite"):
                MLPRegressor(
                    loss="poisson", hidden_layer_sizes=(), solver=solver, alpha=0, random_state=0
                ).fit(X, y)


# ------------------------------------------------- threads and determinism
@pytest.mark.parametrize("name", ESTIMATORS)
def test_concurrent_prediction_equals_serial(name):
    X, y = make_classification(3000, 20, random_state=0)
    if name == "mlp_regressor":
        y = X[:, 0] * 3.0
    est = ESTIMATORS[name]()
    est.fit(X, y)
    method = est.predict if name == "mlp_regressor" else est.predict_proba
    serial = method(X)
    barrier = threading.Barrier(8)

    def work(_):
        barrier.wait()
        return [method(X) for _ in range(5)]

    with ThreadPoolExecutor(8) as pool:
        results = [r for batch in pool.map(work, range(8)) for r in batch]
    for r in results:
        np.testing.assert_array_equal(r, serial)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_same_random_state_gives_bitwise_identical_weights(name):
    X, y = make_classification(300, 10, random_state=0)
    if name == "mlp_regressor":
        y = X[:, 0]
    a, b = ESTIMATORS[name]().fit(X, y), ESTIMATORS[name]().fit(X, y)
    weights = lambda e: (
        e.coefs_ + e.intercepts_ if hasattr(e, "coefs_") else [e.coef_, e.intercept_]
    )
    for u, v in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(u, v)


# ------------------------------------------------------------ bounded memory
def test_predict_memory_is_bounded_by_the_chunk_budget():
    X, y = make_classification(500, 100, n_classes=10, n_informative=20, random_state=0)
    clf = MLPClassifier((256,), max_iter=2, random_state=0).fit(X.astype(np.float32), y)
    big = np.random.default_rng(0).standard_normal((200_000, 100), dtype=np.float32)
    whole_batch_hidden = big.shape[0] * 256 * 4  # one layer's activations at once: 195 MiB
    tracemalloc.start()
    proba = clf.predict_proba(big)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # The output itself (200k x 10 float32 = 7.6 MiB) plus a few MiB of chunk buffers.
    assert peak < proba.nbytes + 12 * 2**20 < whole_batch_hidden


# ------------------------------------------------------------ persistence
@pytest.mark.parametrize("name", ESTIMATORS)
def test_skops_round_trip_trusts_only_our_classes(name, tmp_path, iris):
    sio = pytest.importorskip("skops.io")
    X, y = iris
    if name == "mlp_regressor":
        y = X[:, 0]
    est = ESTIMATORS[name]()
    est.fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == [f"{type(est).__module__}.{type(est).__name__}"]
    loaded = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_pickles_are_compact_and_training_state_can_be_dropped():
    X, y = make_classification(500, 100, n_classes=3, n_informative=10, random_state=0)
    clf = MLPClassifier((256, 256), max_iter=3, random_state=0).fit(X, y)
    weight_bytes = sum(a.nbytes for a in clf.coefs_ + clf.intercepts_)
    kept = len(pickle.dumps(clf))
    assert kept <= 3.1 * weight_bytes  # weights + Adam's two moments, nothing duplicated
    reference = clf.predict_proba(X)
    slim = pickle.loads(pickle.dumps(clf.drop_training_state()))
    assert len(pickle.dumps(slim)) <= 1.2 * weight_bytes
    np.testing.assert_array_equal(slim.predict_proba(X), reference)
    slim.partial_fit(X, y)  # training restarts its optimizer state
    assert slim._optimizer_state is not None


def test_dropping_training_state_drops_a_scorer_object():
    # A model fitted with a lambda scorer, whose scoring parameter was then unset, pickles
    # after drop_training_state(): it no longer holds the user's function. A scorer's
    # name is plain data and stays, so its validation history still continues.
    X, y = make_classification(200, 5, random_state=0)
    params = dict(hidden_layer_sizes=(6,), max_iter=3, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(scoring=lambda est, X, y: est.score(X, y), **params).fit(X, y)
        named = MLPClassifier(scoring="accuracy", warm_start=True, **params).fit(X, y)
    clf.set_params(scoring=None).drop_training_state()
    pickle.loads(pickle.dumps(clf))
    scores = list(named.validation_scores_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        named.drop_training_state().fit(X, y)
    assert named.validation_scores_[:3] == scores and len(named.validation_scores_) == 6


def test_perceptron_files_carry_no_duplicated_weights():
    X, y = make_classification(2000, 300, n_informative=20, random_state=0)
    for params in ({}, {"average": True}):
        est = PerceptronClassifier(random_state=0, **params).fit(X, y)
        weight_bytes = est.coef_.nbytes + est.intercept_.nbytes
        reference = est.predict_proba(X)
        # coef_, the probability weights and partial_fit's state share arrays where
        # they coincide; the average-plus-last-iterate pair is the only doubling.
        overhead = 2048  # attribute names, scalars, class reference
        assert len(pickle.dumps(est)) <= (2 if params else 1) * weight_bytes + overhead
        slim = pickle.loads(pickle.dumps(est.drop_training_state()))
        assert len(pickle.dumps(slim)) <= weight_bytes + overhead
        np.testing.assert_array_equal(slim.predict_proba(X), reference)
        slim.partial_fit(X[:50], y[:50])  # still trains


@pytest.mark.parametrize("name", ESTIMATORS)
def test_loading_a_file_from_another_version_warns(name, monkeypatch):
    clf = ESTIMATORS[name]()
    clf.fit(X_OK, _y_for(name))
    attributes = dict(vars(clf))
    data = pickle.dumps(clf)
    assert vars(clf) == attributes  # the stamp is in the file, not on the model
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        assert not hasattr(pickle.loads(data), "_skperceptron_version")  # same: silent
    monkeypatch.setattr(skperceptron._persistence, "__version__", "99.0")
    with pytest.warns(InconsistentVersionWarning, match="version 0.1.0 when using version 99.0"):
        pickle.loads(data)


def test_partial_fit_honours_skip_parameter_validation(monkeypatch):
    # The global switch is read outside scikit-learn's _fit_context, which sets it
    # for nested calls: with it on, no parameter is validated, as in fit.
    import sklearn

    est = ESTIMATORS["mlp_classifier"]().partial_fit(X_OK, Y_CLS, classes=np.unique(Y_CLS))
    est.set_params(learning_rate_init=1.5)  # valid; the validation itself is spied on
    calls, original = [], MLPClassifier._validate_params
    monkeypatch.setattr(MLPClassifier, "_validate_params",
                        lambda self: calls.append(1) or original(self))
    with sklearn.config_context(skip_parameter_validation=True):
        est.partial_fit(X_OK, Y_CLS)
    assert calls == []
    est.partial_fit(X_OK, Y_CLS)
    est.partial_fit(X_OK, Y_CLS)  # the same parameter objects: validated once
    assert calls == [1]
