"""The objective: finite differences, closed forms and scikit-learn's metrics as oracles."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.metrics import (
    log_loss,
    mean_absolute_error,
    mean_poisson_deviance,
    mean_squared_error,
)

from skperceptron._activations import ACTIVATIONS
from skperceptron._losses import LOSSES
from skperceptron._network import (
    Objective,
    forward_in_chunks,
    n_coef_params,
    n_params,
    pack,
    unpack,
)

N_SAMPLES, N_FEATURES, N_OUTPUTS = 7, 4, 3


def _targets(loss, rng, n=N_SAMPLES, k=N_OUTPUTS):
    if loss == "log_loss":
        return np.eye(k)[rng.randint(k, size=n)]
    if loss == "binary_log_loss":
        return rng.randint(2, size=(n, k)).astype(float)
    if loss == "poisson":
        return rng.poisson(2.0, size=(n, k)).astype(float)
    return rng.normal(size=(n, k))


def _problem(loss, weighted, seed=0, hidden=(5, 3)):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    Y = _targets(loss, rng)
    sw = rng.uniform(0.2, 2.0, size=N_SAMPLES) if weighted else None
    layer_units = [N_FEATURES, *hidden, N_OUTPUTS]
    theta = rng.normal(scale=0.5, size=n_params(layer_units))
    return X, Y, sw, layer_units, theta


def _central_differences(f, theta, eps=1e-6):
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = eps
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize(
    "activation, loss, weighted, dtype",
    list(itertools.product(ACTIVATIONS, LOSSES, [False, True], [np.float64, np.float32])),
)
def test_gradient_matches_central_differences(activation, loss, weighted, dtype):
    X, Y, sw, layer_units, theta = _problem(loss, weighted)
    alpha = 0.3

    def value64(t):
        obj = Objective(layer_units, [activation] * 2, loss, alpha, np.float64, N_SAMPLES)
        return obj.value_and_grad(t, X, Y, sw)[0]

    expected = _central_differences(value64, theta)

    cast = (lambda a: None if a is None else a.astype(dtype))
    obj = Objective(layer_units, [activation] * 2, loss, alpha, dtype, N_SAMPLES)
    value, grad = obj.value_and_grad(cast(theta), cast(X), cast(Y), cast(sw))
    assert grad.dtype == dtype
    assert isinstance(value, float)
    if dtype == np.float64:
        # (The float64 value is checked against scikit-learn's metrics and closed forms
        # in test_loss_values_match_sklearn_metrics.)
        np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-8)
    else:
        # float32 arithmetic against the float64 finite-difference oracle.
        np.testing.assert_allclose(grad, expected, rtol=2e-3, atol=2e-4)
        assert value == pytest.approx(value64(theta), rel=1e-4)


@pytest.mark.parametrize("dropout", [0.0, 0.4])
@pytest.mark.parametrize("loss", ["binary_log_loss", "squared_error"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_one_unit_layers_match_central_differences(activation, loss, dropout):
    # The delta below a one-unit layer is an outer product (``_fused.outer_backward``
    # without dropout): here below the output unit and below a one-unit hidden layer.
    rng = np.random.RandomState(3)
    units = [N_FEATURES, 5, 1, 1]
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    Y = _targets(loss, rng, k=1)
    theta = rng.normal(scale=0.8, size=n_params(units))

    def objective():  # a fresh generator each time: the same dropout masks
        return Objective(units, [activation] * 2, loss, 0.3, np.float64, N_SAMPLES,
                         dropout=[dropout] * 2, rng=np.random.default_rng(5))

    expected = _central_differences(lambda t: objective().value_and_grad(t, X, Y)[0], theta)
    grad = objective().value_and_grad(theta, X, Y)[1]
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-8)
    assert np.abs(grad[: n_coef_params(units)]).max() > 1e-3  # a real signal went back


@pytest.mark.parametrize("loss", list(LOSSES))
def test_sparse_input_gives_dense_value_and_gradient(loss):
    X, Y, sw, layer_units, theta = _problem(loss, weighted=True)
    X[X < 0.3] = 0.0
    obj = Objective(layer_units, ["tanh"] * 2, loss, 0.1, np.float64, N_SAMPLES)
    v_dense, g_dense = obj.value_and_grad(theta, X, Y, sw)
    g_dense = g_dense.copy()
    v_sparse, g_sparse = obj.value_and_grad(theta, sp.csr_matrix(X), Y, sw)
    assert v_sparse == pytest.approx(v_dense, rel=1e-12)
    np.testing.assert_allclose(g_sparse, g_dense, rtol=1e-12, atol=1e-14)


def _linear_output(X, theta, layer_units):
    coefs, intercepts = unpack(theta, layer_units)
    return X @ coefs[0] + intercepts[0]


@pytest.mark.parametrize("weighted", [False, True])
def test_loss_values_match_sklearn_metrics(weighted):
    # With no hidden layer the raw output is X @ W + b; the loss values must agree
    # with scikit-learn's metrics on the linked predictions.
    rng = np.random.RandomState(3)
    X = rng.normal(size=(40, 3))
    sw = rng.uniform(0.5, 2, size=40) if weighted else None

    def value(loss, Y, layer_units, theta, **loss_params):
        obj = Objective(layer_units, [], loss, 0.0, np.float64, 40, loss_params=loss_params)
        return obj.value_and_grad(theta, X, Y, sw)[0]

    units = [3, 4]
    theta = rng.normal(scale=0.3, size=n_params(units))
    Z = _linear_output(X, theta, units)

    Y = rng.normal(size=(40, 4))
    # Summed over the 4 outputs: scikit-learn's mean over outputs times 4.
    assert value("squared_error", Y, units, theta) == pytest.approx(
        0.5 * 4 * mean_squared_error(Y, Z, sample_weight=sw)
    )
    # absolute_error and huber average over the outputs.
    assert value("absolute_error", Y, units, theta) == pytest.approx(
        mean_absolute_error(Y, Z, sample_weight=sw)
    )
    for huber_delta in (0.3, 1.0, 2.5):
        r = np.abs(Z - Y)  # the textbook Huber loss of each residual
        per_entry = np.where(r <= huber_delta, r**2 / 2, huber_delta * (r - huber_delta / 2))
        expected = np.average(per_entry.mean(axis=1), weights=sw)
        assert value("huber", Y, units, theta, huber_delta=huber_delta) == pytest.approx(expected)
    labels = rng.randint(4, size=40)
    assert value("log_loss", np.eye(4)[labels], units, theta) == pytest.approx(
        log_loss(labels, softmax(Z, axis=1), sample_weight=sw, labels=range(4))
    )

    units1 = [3, 1]
    theta1 = rng.normal(scale=0.3, size=n_params(units1))
    z = _linear_output(X, theta1, units1)
    b = rng.randint(2, size=(40, 1)).astype(float)
    assert value("binary_log_loss", b, units1, theta1) == pytest.approx(
        log_loss(b.ravel(), expit(z.ravel()), sample_weight=sw)
    )
    counts = rng.poisson(1.5, size=(40, 1)).astype(float)
    # Half the mean Poisson deviance.
    assert value("poisson", counts, units1, theta1) == pytest.approx(
        0.5 * mean_poisson_deviance(counts.ravel(), np.exp(z.ravel()), sample_weight=sw)
    )


def test_l2_penalty_closed_form():
    X, Y, sw, layer_units, theta = _problem("squared_error", weighted=True)
    base = Objective(layer_units, ["relu"] * 2, "squared_error", 0.0, np.float64, N_SAMPLES)
    v0, g0 = base.value_and_grad(theta, X, Y, sw)
    g0 = g0.copy()
    alpha = 0.7
    reg = Objective(layer_units, ["relu"] * 2, "squared_error", alpha, np.float64, N_SAMPLES)
    v1, g1 = reg.value_and_grad(theta, X, Y, sw)
    n_coef = n_coef_params(layer_units)
    w = theta[:n_coef]
    assert v1 - v0 == pytest.approx(0.5 * alpha * w @ w / sw.sum())
    np.testing.assert_allclose(g1[:n_coef] - g0[:n_coef], alpha * w / sw.sum())
    # Intercepts are not penalised.
    np.testing.assert_allclose(g1[n_coef:], g0[n_coef:])


def test_unpack_gives_views_and_pack_inverts_it():
    layer_units = [3, 4, 2]
    theta = np.arange(n_params(layer_units), dtype=float)
    coefs, intercepts = unpack(theta, layer_units)
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)]
    assert [b.shape for b in intercepts] == [(4,), (2,)]
    assert all(np.shares_memory(a, theta) for a in coefs + intercepts)
    np.testing.assert_array_equal(pack(coefs, intercepts), theta)


def test_buffers_are_reused_across_batches_of_any_size():
    X, Y, sw, layer_units, theta = _problem("log_loss", weighted=False)
    obj = Objective(layer_units, ["relu"] * 2, "log_loss", 0.0, np.float64, N_SAMPLES)
    fresh = Objective(layer_units, ["relu"] * 2, "log_loss", 0.0, np.float64, 3)
    for stop in (N_SAMPLES, 3, 5):
        value, grad = obj.value_and_grad(theta, X[:stop], Y[:stop])
        expected = Objective(layer_units, ["relu"] * 2, "log_loss", 0.0, np.float64, stop)
        v_ref, g_ref = expected.value_and_grad(theta, X[:stop], Y[:stop])
        assert value == pytest.approx(v_ref, rel=1e-14)
        np.testing.assert_allclose(grad, g_ref, rtol=1e-14)
    grad_of_three = fresh.value_and_grad(theta, X[:3], Y[:3])[1]
    assert grad_of_three is fresh.value_and_grad(theta, X[:2], Y[:2])[1]


@pytest.mark.parametrize("rows", [1, 3, 1000])
def test_chunked_prediction_equals_one_pass(rows):
    X, Y, sw, layer_units, theta = _problem("log_loss", weighted=False)
    coefs, intercepts = unpack(theta, layer_units)
    # Independent oracle: a plain forward pass written out here.
    A = np.maximum(X @ coefs[0] + intercepts[0], 0)
    A = np.maximum(A @ coefs[1] + intercepts[1], 0)
    expected = softmax(A @ coefs[2] + intercepts[2], axis=1)
    out = forward_in_chunks(coefs, intercepts, ["relu"] * 2, "softmax", X, rows)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


@pytest.mark.parametrize("block_rows", [1, 3, 6])
def test_blocked_rows_give_the_one_block_value_and_gradient(block_rows):
    X, Y, sw, layer_units, theta = _problem("log_loss", weighted=True)
    whole = Objective(layer_units, ["tanh"] * 2, "log_loss", 0.2, np.float64, N_SAMPLES)
    v_ref, g_ref = whole.value_and_grad(theta, X, Y, sw)
    g_ref = g_ref.copy()
    blocked = Objective(layer_units, ["tanh"] * 2, "log_loss", 0.2, np.float64, N_SAMPLES,
                        block_rows=block_rows)
    assert blocked.block_rows == block_rows
    value, grad = blocked.value_and_grad(theta, X, Y, sw)
    assert value == pytest.approx(v_ref, rel=1e-12)
    np.testing.assert_allclose(grad, g_ref, rtol=1e-12, atol=1e-15)
    assert blocked.value(theta, X, Y, sw) == pytest.approx(
        whole.value(theta, X, Y, sw), rel=1e-12)


# ------------------------------------------------- compiled kernels vs numpy formulas
class _CountingKernels:
    """``_fused._kernels`` with a count of the calls of each function."""

    def __init__(self, module):
        self._module = module
        self.calls = {}

    def __getattr__(self, name):
        attr = getattr(self._module, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return attr(*args, **kwargs)

        return counted


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def _kernel_problem(dtype, sparse, n_outputs=3):
    # Widths that are not multiples of a vector's lanes, random-sign pre-activations.
    rng = np.random.RandomState(11)
    X = rng.normal(size=(37, 6))
    X[X < -0.2] = 0.0
    Y = np.eye(3)[rng.randint(3, size=37)][:, :n_outputs]
    units = [6, 19, 13, n_outputs]
    theta = rng.normal(scale=0.6, size=n_params(units)).astype(dtype)
    X = X.astype(dtype)
    return (sp.csr_matrix(X) if sparse else X), Y.astype(dtype), units, theta


def _value_grad_and_prediction(activation, dtype, X, Y, units, theta, dropout):
    loss, link = ("log_loss", "softmax") if Y.shape[1] > 1 else ("binary_log_loss", "logistic")
    obj = Objective(units, [activation] * 2, loss, 0.3, dtype, X.shape[0],
                    dropout=[dropout] * 2, rng=np.random.default_rng(5))
    value, grad = obj.value_and_grad(theta, X, Y)
    coefs, intercepts = unpack(theta, units)
    out = forward_in_chunks(coefs, intercepts, [activation] * 2, link, X, 10)
    return value, grad.copy(), out


@pytest.mark.parametrize("n_outputs", [3, 1])
@pytest.mark.parametrize("dropout", [0.0, 0.4])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_compiled_kernels_give_the_numpy_formulas_bits(activation, dtype, sparse, dropout,
                                                       n_outputs, monkeypatch):
    from skperceptron import _fused

    kernels = pytest.importorskip("skperceptron._kernels")
    X, Y, units, theta = _kernel_problem(dtype, sparse, n_outputs)
    counting = _CountingKernels(kernels)
    monkeypatch.setattr(_fused, "_kernels", counting)
    compiled = _value_grad_and_prediction(activation, dtype, X, Y, units, theta, dropout)
    # The wiring is exercised: each hidden layer of each pass went to the kernel that
    # exists for its activation (2 layers; value_and_grad, and 4 prediction chunks);
    # below a one-unit output without dropout, the fused outer product.
    fused_forward = activation in _fused._FORWARD_CODES
    fused_backward = activation in _fused._BACKWARD_CODES
    outer = n_outputs == 1 and dropout == 0 and fused_backward
    assert counting.calls.get("bias_activation", 0) == (2 + 2 * 4 if fused_forward else 0)
    assert counting.calls.get("activation_backward", 0) == (2 - outer if fused_backward else 0)
    assert counting.calls.get("outer_backward", 0) == outer

    monkeypatch.setattr(_fused, "_kernels", None)  # every function on its numpy formula
    numpy_path = _value_grad_and_prediction(activation, dtype, X, Y, units, theta, dropout)
    assert compiled[0] == numpy_path[0]
    np.testing.assert_array_equal(_bits(compiled[1]), _bits(numpy_path[1]))
    np.testing.assert_array_equal(_bits(compiled[2]), _bits(numpy_path[2]))
    assert compiled[1].dtype == dtype and compiled[2].dtype == dtype
