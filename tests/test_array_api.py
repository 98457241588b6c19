"""The Array API path (scikit-learn's ``array_api_dispatch``) against the numpy path.

The oracle everywhere is the numpy path itself, which the rest of the suite checks
against scikit-learn, closed forms and finite differences: the same objective, fit or
prediction computed on numpy arrays. Namespaces: array-api-strict on both of its
devices (its second device cannot reach numpy, so anything that silently went through
numpy fails there) and PyTorch on the CPU. Every test skips when the namespace is not
installed or ``SCIPY_ARRAY_API=1`` is not set (scikit-learn refuses dispatch without it);
``make test`` sets it. scikit-learn's own Array API checks run from ``test_common.py``.
"""

import os
import pickle
import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification, make_regression

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier
from skperceptron._activations import ACTIVATIONS
from skperceptron._initialization import initial_theta
from skperceptron._losses import LOSSES
from skperceptron._network import Objective
from skperceptron._network_array import ArrayObjective
from skperceptron._validation import ARRAY_API_SUPPORTED, array_backend

pytestmark = [
    pytest.mark.skipif(not ARRAY_API_SUPPORTED, reason="Array API dispatch needs sklearn>=1.9"),
    pytest.mark.skipif(
        os.environ.get("SCIPY_ARRAY_API") != "1", reason="SCIPY_ARRAY_API=1 is not set"
    ),
]


def _strict(device_name):
    xp = pytest.importorskip("array_api_strict")
    return xp, xp.Device(device_name)


def _torch_cpu():
    torch = pytest.importorskip("torch")
    from sklearn.externals.array_api_compat import torch as xp

    return xp, torch.device("cpu")


NAMESPACES = {
    "strict-cpu": lambda: _strict("CPU_DEVICE"),
    "strict-device1": lambda: _strict("device1"),
    "torch-cpu": _torch_cpu,
}


@pytest.fixture(params=sorted(NAMESPACES))
def space(request):
    """``(xp, device)`` of one namespace."""
    return NAMESPACES[request.param]()


def _to(space, array):
    xp, device = space
    return xp.asarray(np.asarray(array), device=device)


def _host(array):
    from sklearn.utils._array_api import move_to

    return np.asarray(move_to(array, xp=np, device="cpu"))


def _dispatch():
    return sklearn.config_context(array_api_dispatch=True)


def _rtol(dtype):
    return 1e-12 if np.dtype(dtype) == np.float64 else 1e-5


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(120, 6, n_informative=4, n_classes=3, random_state=0)
    return X, y


# ----------------------------------------------------------- objective
LOSS_TARGETS = {
    "squared_error": lambda rng, n: rng.normal(size=(n, 2)),
    "huber": lambda rng, n: 3 * rng.normal(size=(n, 2)),
    "absolute_error": lambda rng, n: rng.normal(size=(n, 2)),
    "poisson": lambda rng, n: rng.poisson(1.5, size=(n, 2)).astype(float),
    "binary_log_loss": lambda rng, n: (rng.random((n, 2)) < 0.5).astype(float),
    "log_loss": lambda rng, n: np.eye(3)[rng.integers(0, 3, n)],
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradient_matches_numpy(space, activation, loss, dropout, dtype):
    rng = np.random.default_rng(0)
    n = 37
    X = rng.normal(size=(n, 5)).astype(dtype)
    Y = LOSS_TARGETS[loss](rng, n).astype(dtype)
    sw = rng.random(n).astype(dtype)
    units = [5, 7, Y.shape[1]]
    theta = initial_theta(units, [activation], np.random.RandomState(0), dtype)
    params = {"huber_delta": 0.7} if loss == "huber" else None
    extras = dict(dropout=[dropout], loss_params=params)
    host = Objective(units, [activation], loss, 1e-2, dtype, n,
                     rng=np.random.default_rng(5), **extras)
    value, grad = host.value_and_grad(theta, X, Y, sw)
    with _dispatch():
        ops = array_backend(*space)
        device = ArrayObjective(units, [activation], loss, 1e-2, ops,
                                rng=np.random.default_rng(5), **extras)
        d_value, d_grad = device.value_and_grad(
            _to(space, theta), _to(space, X), _to(space, Y), _to(space, sw)
        )
    assert_allclose(float(d_value), value, rtol=_rtol(dtype))
    scale = np.abs(grad).max()
    assert_allclose(_host(d_grad), grad, rtol=_rtol(dtype), atol=_rtol(dtype) * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [0.0, 0.1, 1.0, "huge", "near max"])
def test_clip_by_global_norm_matches_the_closed_form_on_the_device(space, dtype, scale):
    # "huge": finite entries whose sum of squares overflows the dtype; "near max": a
    # norm beyond the dtype's maximum. Both gave all-zero gradients; neither may warn.
    big = {"huge": {np.float32: 1e20, np.float64: 1e160}[dtype],
           "near max": np.finfo(dtype).max / 8}.get(scale, scale)
    g = (np.array([3.0, -4.0, 0.0]) * big).astype(dtype)
    expected = np.array([1.2, -1.6, 0.0]) if 5.0 * big > 2.0 else g
    with _dispatch(), warnings.catch_warnings():
        warnings.simplefilter("error")
        ops = array_backend(*space)
        clipped = _host(ops.clip_by_global_norm(_to(space, g), 2.0))
        # A norm below max_norm is left alone, even where its squares overflow.
        kept = _host(ops.clip_by_global_norm(_to(space, g), float(np.finfo(dtype).max)))
    assert clipped.dtype == dtype
    assert_allclose(clipped, expected, rtol=1e-6)
    np.testing.assert_array_equal(kept, g)


def test_all_zero_weights_give_zero_gradient(space):
    # The device objective never asks the host whether the weights sum to zero.
    units = [3, 4, 1]
    theta = initial_theta(units, ["relu"], np.random.RandomState(0), np.float64)
    X, Y = np.ones((5, 3)), np.ones((5, 1))
    with _dispatch():
        ops = array_backend(*space)
        objective = ArrayObjective(units, ["relu"], "squared_error", 1e-3, ops)
        value, grad = objective.value_and_grad(
            _to(space, theta), _to(space, X), _to(space, Y), _to(space, np.zeros(5))
        )
    assert float(value) == 0.0
    assert not _host(grad).any()


# ------------------------------------------------------- fits agree
FIT_CASES = {
    "adam": dict(solver="adam"),
    "sgd-nesterov-invscaling": dict(solver="sgd", learning_rate="invscaling"),
    "sgd-adaptive": dict(solver="sgd", learning_rate="adaptive", momentum=0.5,
                         nesterovs_momentum=False),
    "lbfgs": dict(solver="lbfgs"),
    "features": dict(
        activation=["gelu", "tanh"], hidden_layer_sizes=(9, 5), dropout=0.2,
        class_weight="balanced", weight_decay=1e-2, learning_rate="cosine",
        learning_rate_warmup=1, max_grad_norm=0.5, weight_init="he_normal",
    ),
    "early-stopping": dict(early_stopping=True, validation_fraction=0.25,
                           n_iter_no_change=2),
    # A scorer sees a host copy of the model each epoch.
    "early-stopping-scoring": dict(early_stopping=True, scoring="balanced_accuracy",
                                   validation_fraction=0.25),
}


def _fit_both(space, Estimator, X, y, params, sample_weight=None, **fit):
    host = Estimator(random_state=0, **params).fit(X, y, sample_weight=sample_weight, **fit)
    moved = {k: _to(space, v) for k, v in fit.items()}
    sw = None if sample_weight is None else _to(space, sample_weight)
    with _dispatch():
        device = Estimator(random_state=0, **params).fit(
            _to(space, X), _to(space, y), sample_weight=sw, **moved
        )
    return host, device


def _assert_same_fit(host, device, rtol):
    assert device.n_iter_ == host.n_iter_
    for h, d in zip(host.coefs_ + host.intercepts_, device.coefs_ + device.intercepts_,
                    strict=True):
        assert_allclose(_host(d), h, rtol=rtol, atol=rtol)
    assert_allclose(device.loss_, host.loss_, rtol=rtol)
    for name in ("loss_curve_", "validation_scores_", "validation_loss_curve_"):
        if getattr(host, name, None) is not None:
            assert_allclose(getattr(device, name), getattr(host, name), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("case", sorted(FIT_CASES))
def test_classifier_fit_matches_numpy(space, classification, case):
    X, y = classification
    params = dict(hidden_layer_sizes=(8,), max_iter=4, batch_size=32) | FIT_CASES[case]
    sw = np.random.default_rng(1).random(len(y)) + 0.5
    host, device = _fit_both(space, MLPClassifier, X, y, params, sample_weight=sw)
    _assert_same_fit(host, device, 1e-10)
    with _dispatch():
        Xd = _to(space, X)
        for method in ("predict_proba", "predict_log_proba", "decision_function",
                       "hidden_activations"):
            expected = getattr(host, method)(X)
            assert_allclose(_host(getattr(device, method)(Xd)), expected, rtol=1e-10,
                            atol=1e-12)
        assert_allclose(_host(device.predict(Xd)), host.predict(X))
        # scikit-learn computes the accuracy of torch labels in float32.
        assert device.score(Xd, _to(space, y)) == pytest.approx(host.score(X, y), rel=1e-6)


@pytest.mark.parametrize("loss", ["squared_error", "huber", "absolute_error", "poisson"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_regressor_fit_matches_numpy(space, loss, solver):
    X, y = make_regression(90, 4, n_targets=2, random_state=0)
    y = np.abs(y) / 50 if loss == "poisson" else y / 50
    params = dict(hidden_layer_sizes=(6,), loss=loss, solver=solver, max_iter=3,
                  activation="softplus")
    host, device = _fit_both(space, MLPRegressor, X, y, params)
    _assert_same_fit(host, device, 1e-10)


def test_explicit_validation_set_on_device(space, classification):
    X, y = classification
    params = dict(hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, activation="elu")
    host, device = _fit_both(space, MLPClassifier, X[:90], y[:90], params,
                             X_val=X[90:], y_val=y[90:])
    _assert_same_fit(host, device, 1e-10)
    assert len(device.validation_loss_curve_) == device.n_iter_


def test_dropout_masks_follow_numpy_across_objective_blocks(space):
    # Wide layers make the objective work a minibatch in several blocks (2 MiB of
    # activations each, at least 256 rows): the masks must be drawn block by block there
    # as on numpy.
    X, y = make_classification(700, 12, n_informative=6, random_state=0)
    params = dict(hidden_layer_sizes=(1100,), dropout=0.3, batch_size=700, max_iter=2)
    host, device = _fit_both(space, MLPClassifier, X, y, params)
    _assert_same_fit(host, device, 1e-10)


def test_float64_input_to_a_float32_model(space, classification):
    # As on numpy, the forward pass runs in the wider dtype.
    X, y = classification
    host, device = _fit_both(space, MLPClassifier, X.astype(np.float32), y,
                             dict(hidden_layer_sizes=(8,), max_iter=2))
    with _dispatch():
        proba = device.predict_proba(_to(space, X))
    assert proba.dtype == space[0].float64
    assert_allclose(_host(proba), host.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize("solver", ["adam", "lbfgs", "early-stopping"])
def test_callbacks_see_epoch_models_on_the_device(space, classification, solver):
    # scikit-learn's ScoringMonitor scores each epoch's model on the fit's data: the
    # epoch models must live where the data does, and equal fit(max_iter=k).
    from sklearn.callback import ScoringMonitor

    X, y = classification
    Xd, yd = _to(space, X), _to(space, y)
    monitor = ScoringMonitor(scoring="accuracy")
    params = dict(hidden_layer_sizes=(8,), solver=solver, random_state=0)
    if solver == "early-stopping":  # the epoch model is the best epoch's, kept on the device
        params.update(solver="adam", early_stopping=True, validation_fraction=0.3)
    with _dispatch():
        MLPClassifier(max_iter=3, **params).set_callbacks(monitor).fit(Xd, yd)
        expected = [MLPClassifier(max_iter=k, **params).fit(Xd, yd).score(Xd, yd)
                    for k in (1, 2, 3)]
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    # scikit-learn computes the accuracy of torch labels in float32.
    assert [r["accuracy"] for r in rows] == pytest.approx(expected, rel=1e-6)


def test_float32_predictions_agree(space, classification):
    X, y = classification
    X = X.astype(np.float32)
    params = dict(hidden_layer_sizes=(16,), max_iter=5, activation="silu")
    host, device = _fit_both(space, MLPClassifier, X, y, params)
    with _dispatch():
        proba = device.predict_proba(_to(space, X))
    assert device.coefs_[0].dtype == space[0].float32
    assert_allclose(_host(proba), host.predict_proba(X), rtol=1e-6, atol=1e-6)


def test_partial_fit_continues_on_device(space, classification):
    X, y = classification
    once = MLPClassifier((8,), max_iter=3, random_state=0, shuffle=True)
    with _dispatch():
        once.fit(_to(space, X), _to(space, y))
        steps = MLPClassifier((8,), random_state=0, shuffle=True)
        for _ in range(3):
            steps.partial_fit(_to(space, X), _to(space, y), classes=_to(space, np.unique(y)))
    for a, b in zip(once.coefs_, steps.coefs_, strict=True):
        assert_allclose(_host(a), _host(b), rtol=1e-12)


# --------------------------------------------- namespaces and devices
def _arrays_of(value):
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays_of(v)]
    if isinstance(value, list | tuple):
        return [a for v in value for a in _arrays_of(v)]
    return [value] if hasattr(value, "shape") and hasattr(value, "dtype") else []


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_fitted_arrays_live_on_the_input_device(space, classification, solver):
    from sklearn.utils._array_api import device as array_device
    from sklearn.utils._array_api import get_namespace

    X, y = classification
    labels = np.array(["ant", "bee", "cat"])[y]
    with _dispatch():
        Xd = _to(space, X)
        model = MLPClassifier((8,), solver=solver, max_iter=2, random_state=0).fit(Xd, labels)
        xp = get_namespace(Xd)[0]
        arrays = [v for k, v in vars(model).items() if k != "classes_" for v in _arrays_of(v)]
        assert len(arrays) >= 4  # coefs_, intercepts_ and the optimizer state
        for array in arrays:
            assert get_namespace(array)[0] is xp
            assert array_device(array) == array_device(Xd)
        # String labels have no device: predict returns numpy, classes_ stays numpy.
        assert isinstance(model.classes_, np.ndarray)
        assert isinstance(model.predict(Xd), np.ndarray)
        assert set(model.predict(Xd)) <= set(labels)


METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function",
           "hidden_activations", "score"]


@pytest.mark.parametrize("method", METHODS)
def test_methods_refuse_another_namespace(space, classification, method):
    X, y = classification
    with _dispatch():
        model = MLPClassifier((8,), max_iter=2, random_state=0).fit(_to(space, X), _to(space, y))
        args = (X, y) if method == "score" else (X,)
        with pytest.raises(ValueError, match=rf"MLPClassifier\.{method}\(\).*same namespace"):
            getattr(model, method)(*args)


@pytest.mark.parametrize("continuation", ["partial_fit", "warm_start"])
def test_continued_training_refuses_another_namespace(space, classification, continuation):
    X, y = classification
    warm = continuation == "warm_start"
    with _dispatch():
        model = MLPClassifier((8,), max_iter=2, warm_start=warm, random_state=0)
        model.fit(_to(space, X), _to(space, y))
        before = _host(model.coefs_[0])
        name = "fit" if warm else "partial_fit"
        with pytest.raises(ValueError, match=rf"MLPClassifier\.{name}\(\).*same namespace"):
            getattr(model, name)(X, y)
    assert_allclose(_host(model.coefs_[0]), before)  # the failed call changed nothing


@pytest.mark.parametrize("method", [*METHODS, "partial_fit", "warm_start"])
def test_a_device_model_with_dispatch_off_is_refused_by_name(space, classification, method):
    # Outside config_context(array_api_dispatch=True) a model holding device arrays
    # cannot work: the error says so (not a TypeError from deep inside numpy), and
    # the model is untouched.
    X, y = classification
    with _dispatch():
        model = MLPClassifier((8,), max_iter=2, warm_start=method == "warm_start",
                              random_state=0).fit(_to(space, X), _to(space, y))
        before = _host(model.coefs_[0])
    name = {"warm_start": "fit"}.get(method, method)
    args = (X,) if method in METHODS and method != "score" else (X, y)
    for data in (args, tuple(_to(space, a) for a in args)):
        with pytest.raises(ValueError, match=rf"MLPClassifier\.{name}: the model holds .* "
                                             "array_api_dispatch is off"):
            getattr(model, name)(*data)
    with _dispatch():
        assert_allclose(_host(model.coefs_[0]), before)


@pytest.mark.parametrize("method", ["fit", "partial_fit", "predict", "predict_proba"])
def test_complex_tensors_are_refused_as_numpy_ones_are(classification, method):
    # A complex tensor is not cast to real (dropping its imaginary part): it gets the
    # error a complex numpy array gets.
    xp, device = _torch_cpu()
    X, y = classification
    X_complex = xp.asarray(X.astype(np.complex128) + 1j, device=device)
    with _dispatch():
        model = MLPClassifier((8,), max_iter=2, random_state=0)
        model.fit(_to((xp, device), X), _to((xp, device), y))
        before = _host(model.coefs_[0])
        args = (X_complex, _to((xp, device), y)) if "fit" in method else (X_complex,)
        with pytest.raises(ValueError, match="Complex data not supported"):
            getattr(model, method)(*args)
    assert_allclose(_host(model.coefs_[0]), before)


def test_regressor_predict_refuses_another_namespace(space):
    X, y = make_regression(40, 3, random_state=0)
    with _dispatch():
        model = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(_to(space, X), _to(space, y))
        for method, args in (("predict", (X,)), ("score", (X, y))):
            with pytest.raises(ValueError, match=rf"MLPRegressor\.{method}\(\).*same"):
                getattr(model, method)(*args)


def test_move_to_numpy_then_save_and_load(space, classification, tmp_path):
    from sklearn.utils._array_api import move_estimator_to

    X, y = classification
    with _dispatch():
        model = MLPClassifier((8,), max_iter=3, random_state=0).fit(_to(space, X), _to(space, y))
        expected = _host(model.predict_proba(_to(space, X)))
    cpu_model = move_estimator_to(model, np, "cpu")
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(cpu_model))
    loaded = pickle.loads(path.read_bytes())
    assert all(isinstance(c, np.ndarray) for c in loaded.coefs_ + loaded.intercepts_)
    assert_allclose(loaded.predict_proba(X), expected, rtol=1e-12)
    # And back onto the device, where it predicts in the device's namespace.
    with _dispatch():
        back = move_estimator_to(loaded, *space)
        assert_allclose(_host(back.predict_proba(_to(space, X))), expected, rtol=1e-12)


def test_numeric_labels_come_back_on_the_device(space, classification):
    from sklearn.utils._array_api import get_namespace

    X, y = classification
    with _dispatch():
        Xd = _to(space, X)
        model = MLPClassifier((8,), max_iter=2, random_state=0).fit(Xd, _to(space, y + 10))
        predicted = model.predict(Xd)
        assert get_namespace(predicted)[0] is get_namespace(Xd)[0]
    assert set(_host(predicted)) <= {10, 11, 12}


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor, PerceptronClassifier])
def test_everything_follows_a_numpy_X(space, classification, Estimator, solver):
    # scikit-learn's rule for mixed inputs: labels, weights, classes and the validation
    # set of another namespace are moved to X's, numpy here (its own check for this
    # runs on MPS and CUDA only). The oracle is the same fit on numpy arrays.
    X, y = classification
    y = y.astype(float) if Estimator is MLPRegressor else (y > 0).astype(int) if (
        solver == "lbfgs") else y
    sw = np.random.default_rng(1).random(len(y)) + 0.5
    params = {} if Estimator is PerceptronClassifier else dict(
        hidden_layer_sizes=(5,), max_iter=3, solver=solver)
    host = Estimator(random_state=0, **params).fit(X, y, sample_weight=sw)
    with _dispatch():
        mixed = Estimator(random_state=0, **params).fit(
            X, _to(space, y), sample_weight=_to(space, sw))
        predicted = mixed.predict(X)
    assert isinstance(predicted, np.ndarray)
    np.testing.assert_array_equal(predicted, host.predict(X))
    if Estimator is not MLPRegressor:
        assert isinstance(mixed.classes_, np.ndarray)
        np.testing.assert_array_equal(mixed.classes_, host.classes_)


def test_partial_fit_classes_and_validation_set_follow_a_numpy_X(space, classification):
    X, y = classification
    host = MLPClassifier((5,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    es = dict(hidden_layer_sizes=(5,), max_iter=3, early_stopping=True, random_state=0)
    expected = MLPClassifier(**es).fit(X[:90], y[:90], X_val=X[90:], y_val=y[90:])
    with _dispatch():
        mixed = MLPClassifier((5,), random_state=0).partial_fit(
            X, _to(space, y), classes=_to(space, [0, 1, 2]))
        validated = MLPClassifier(**es).fit(
            X[:90], y[:90], X_val=_to(space, X[90:]), y_val=_to(space, y[90:]),
            sample_weight_val=_to(space, np.ones(30)))
        perceptron = PerceptronClassifier().partial_fit(
            X, _to(space, y), classes=_to(space, [0, 1, 2]))
    assert isinstance(mixed.classes_, np.ndarray)
    np.testing.assert_array_equal(mixed.coefs_[0], host.coefs_[0])
    assert validated.validation_scores_ == expected.validation_scores_
    assert isinstance(perceptron.classes_, np.ndarray)
    np.testing.assert_array_equal(
        perceptron.coef_, PerceptronClassifier().partial_fit(X, y, classes=[0, 1, 2]).coef_)


def test_perceptron_refuses_device_arrays_by_name(space, classification):
    X, y = classification
    with _dispatch():
        with pytest.raises(ValueError, match="PerceptronClassifier works on NumPy arrays"):
            PerceptronClassifier().fit(_to(space, X), _to(space, y))
        model = PerceptronClassifier(random_state=0).fit(X, y)
        with pytest.raises(ValueError, match="NumPy arrays and SciPy sparse matrices only"):
            model.predict(_to(space, X))


def test_sparse_and_perceptron_stay_numpy(classification):
    import scipy.sparse as sp

    X, y = classification
    with _dispatch():
        model = MLPClassifier((8,), max_iter=2, random_state=0).fit(sp.csr_matrix(X), y)
    assert isinstance(model.coefs_[0], np.ndarray)
    assert PerceptronClassifier().__sklearn_tags__().array_api_support is False
    assert MLPClassifier().__sklearn_tags__().array_api_support is True


def test_to_onnx_converts_a_device_model_from_its_numpy_copy(space):
    # The graph's weights are host constants: a model fitted on device arrays failed
    # with the array library's own error (np.asarray of a device array), or with the
    # same-namespace ValueError when the check ran the model on a numpy sample.
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    import skperceptron.onnx as sko

    X, y = make_classification(80, 5, n_informative=3, n_classes=3, random_state=0)
    with _dispatch():
        model = MLPClassifier((6,), max_iter=8, random_state=0).fit(_to(space, X), _to(space, y))
        expected = _host(model.predict_proba(_to(space, X)))
        for sample in (X, _to(space, X)):
            onx = sko.to_onnx(model, sample)
            assert_allclose(sko.run_onnx(onx, X)["probabilities"], expected, rtol=1e-12)
        assert sko.check_onnx(onx, model, _to(space, X))["probabilities"] <= 1e-12
        assert type(model.coefs_[0]) is type(_to(space, X))  # the model stayed put
