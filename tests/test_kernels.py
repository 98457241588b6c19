"""The compiled one-pass kernels against the numpy formulas they replace.

Each kernel does per element the same IEEE operations in the same order as its numpy
formula, so the comparisons here are exact (``assert_bitwise``: equal values, NaN where
NaN, the same sign of zero), in float32 and float64, for contiguous and strided arrays,
with non-finite entries that must stay visible. The numpy fallback of ``_fused`` is
held to the same standard, so a result never depends on which path ran; nor on the
number of OpenMP threads.
"""

import os

import numpy as np
import pytest
from test_network import _CountingKernels

from skperceptron import _fused
from skperceptron._activations import ACTIVATIONS
from skperceptron._optimizers import SGD, Adam

_kernels = pytest.importorskip("skperceptron._kernels")

DTYPES = [np.float32, np.float64]
# A two-thread case says something only where OpenMP runs two threads (a serial build,
# OMP_NUM_THREADS=1 or one core would run it on one): skipped, and so reported, elsewhere.
TWO_THREADS = pytest.param(2, marks=pytest.mark.skipif(
    not _kernels.OPENMP or _kernels.max_threads() < 2, reason="OpenMP runs one thread here"))
# What _layer builds: unit-stride rows packed or further apart, strided columns, Fortran.
LAYOUTS = ["contiguous", "row-padded", "strided", "fortran"]


def assert_bitwise(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = ~np.isnan(expected)
    np.testing.assert_array_equal(actual[finite], expected[finite])
    np.testing.assert_array_equal(np.signbit(actual[finite]), np.signbit(expected[finite]))


def _vector(rng, n, dtype, scale=1.0):
    return (scale * rng.standard_normal(n)).astype(dtype)


def _with_non_finite(x):
    x = x.copy()
    x[[1, 4, 7]] = [np.nan, np.inf, -np.inf]
    return x


# ---------------------------------------------------------------- optimizers
def numpy_adam(theta, g, m, v, lr, b1, b2, eps, n_decay, decay):
    """The textbook update written with numpy, the operations in the kernel's order."""
    theta, m, v = theta.copy(), m.copy(), v.copy()
    with np.errstate(invalid="ignore"):
        _numpy_adam_in_place(theta, g, m, v, lr, b1, b2, eps, n_decay, decay)
    return theta, m, v


def _numpy_adam_in_place(theta, g, m, v, lr, b1, b2, eps, n_decay, decay):
    theta[:n_decay] *= decay
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * (g * g)
    theta += -lr * (m / (np.sqrt(v) + eps))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_decay, decay", [(0, 1.0), (37, 0.999), (100, 0.9)])
@pytest.mark.parametrize("n_threads", [1, TWO_THREADS])
def test_adam_kernel_equals_numpy_formula(dtype, n_decay, decay, n_threads):
    rng = np.random.default_rng(0)
    n = 100 if n_threads == 1 else 200_003  # large enough for two threads to split it
    n_decay = min(n_decay, n)
    theta, g, m = (_vector(rng, n, dtype) for _ in range(3))
    v = np.abs(_vector(rng, n, dtype))
    expected = numpy_adam(theta, g, m, v, 1e-3, 0.9, 0.999, 1e-8, n_decay, decay)
    _kernels.adam_update(theta, g, m, v, 1e-3, 0.9, 0.999, 1e-8, n_decay, decay, n_threads)
    for got, want in zip((theta, m, v), expected, strict=True):
        assert_bitwise(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_kernel_keeps_non_finite_values_visible(dtype):
    rng = np.random.default_rng(1)
    theta, m, v = (_vector(rng, 10, dtype) for _ in range(3))
    v = np.abs(v)
    g = _with_non_finite(_vector(rng, 10, dtype))
    expected = numpy_adam(theta, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0, 1.0)
    _kernels.adam_update(theta, g, m, v, 1e-3, 0.9, 0.999, 1e-8)
    assert np.isnan(theta[[1, 4, 7]]).all()  # inf/inf and nan: divergence shows
    for got, want in zip((theta, m, v), expected, strict=True):
        assert_bitwise(got, want)


def numpy_sgd(theta, g, vel, lr, mom, nesterov, n_decay, decay):
    theta, vel = theta.copy(), vel.copy()
    theta[:n_decay] *= decay
    vel *= mom
    vel += -lr * g
    if nesterov:
        theta += -lr * g
        theta += mom * vel
    else:
        theta += vel
    return theta, vel


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("n_decay, decay", [(0, 1.0), (50, 0.99)])
def test_sgd_kernel_equals_numpy_formula(dtype, nesterov, n_decay, decay):
    rng = np.random.default_rng(2)
    theta, vel = _vector(rng, 101, dtype), _vector(rng, 101, dtype)
    g = _with_non_finite(_vector(rng, 101, dtype))
    expected = numpy_sgd(theta, g, vel, 0.05, 0.9, nesterov, n_decay, decay)
    _kernels.sgd_update(theta, g, vel, 0.05, 0.9, nesterov, n_decay, decay)
    for got, want in zip((theta, vel), expected, strict=True):
        assert_bitwise(got, want)


def _with_l2_term(g, theta, l2, n_l2):
    """The objective's L2 gradient term on a copy of ``g``: numpy's ``y += a * x``."""
    g = g.copy()
    g[:n_l2] += l2 * theta[:n_l2]
    return g


# (n_l2, n_decay, decay) out of 101 entries: the L2 prefix shorter than, longer than and
# equal to the decayed one, without decay, and the whole vector.
L2_CASES = [(60, 60, 0.999), (37, 60, 0.99), (60, 37, 0.99), (60, 0, 1.0), (101, 101, 0.9)]


def _step_with_l2(kind, arrays, n_threads, n_decay, decay, n_l2):
    theta, g, *state = arrays
    if kind == "adam":
        _fused.adam_update(theta, g, *state, 1e-3, 0.9, 0.999, 1e-8, n_decay, decay,
                           n_threads, 0.013, n_l2)
    else:
        _fused.sgd_update(theta, g, *state, 0.05, 0.9, kind == "nesterov", n_decay, decay,
                          n_threads, 0.013, n_l2)


@pytest.mark.parametrize("path", ["kernel", "numpy"])
@pytest.mark.parametrize("kind", ["adam", "nesterov", "momentum"])
@pytest.mark.parametrize("n_l2, n_decay, decay", L2_CASES)
@pytest.mark.parametrize("n_threads", [1, TWO_THREADS])
@pytest.mark.parametrize("dtype", DTYPES)
def test_an_l2_term_left_to_the_step_equals_the_term_then_the_step(
    dtype, n_threads, n_l2, n_decay, decay, kind, path, monkeypatch
):
    # The objective can leave its L2 gradient term to the optimizer, whose pass adds it:
    # the same bits as adding it to the gradient first (the axpy) and stepping after.
    rng = np.random.default_rng(9)
    n = 101 if n_threads == 1 else 101 * 2_000  # two threads split only long vectors
    n_l2, n_decay = n_l2 * n // 101, n_decay * n // 101
    theta, g, m = (_vector(rng, n, dtype) for _ in range(3))
    v = np.abs(_vector(rng, n, dtype))
    g_full = _with_l2_term(g, theta, 0.013, n_l2)
    with np.errstate(invalid="ignore"):
        if kind == "adam":
            expected = numpy_adam(theta, g_full, m, v, 1e-3, 0.9, 0.999, 1e-8, n_decay, decay)
        else:
            expected = numpy_sgd(theta, g_full, m, 0.05, 0.9, kind == "nesterov", n_decay, decay)
    arrays = [theta, g.copy(), m, v] if kind == "adam" else [theta, g.copy(), m]
    if path == "numpy":
        monkeypatch.setattr(_fused, "_kernels", None)
    _step_with_l2(kind, arrays, n_threads, n_decay, decay, n_l2)
    state = arrays[:1] + arrays[2:]
    for got, want in zip(state, expected, strict=True):
        assert_bitwise(got, want)
    assert_bitwise(arrays[1], g)  # the gradient is read, not written


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_optimizer_matches_the_closed_form_of_two_steps(dtype):
    # Kingma & Ba's update, bias correction folded into the step, written out in float64.
    rng = np.random.default_rng(3)
    theta0 = _vector(rng, 50, dtype)
    g1, g2 = _vector(rng, 50, dtype), _vector(rng, 50, dtype)
    theta = theta0.copy()
    opt = Adam(theta, learning_rate_init=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    opt.step(theta, g1)
    opt.step(theta, g2)
    x = theta0.astype(np.float64)
    m = v = 0.0
    for t, g in enumerate((g1.astype(np.float64), g2.astype(np.float64)), start=1):
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g * g
        lr = 0.01 * np.sqrt(1 - 0.99**t) / (1 - 0.8**t)
        x = x - lr * m / (np.sqrt(v) + 1e-6)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(theta, x, rtol=rtol, atol=rtol * 1e-2)
    assert theta.dtype == dtype


@pytest.mark.parametrize("Optimizer", [SGD, Adam])
def test_optimizers_give_the_same_bits_on_the_compiled_and_numpy_paths(Optimizer):
    # A strided theta sends the step down the numpy path; its result must be the
    # compiled path's, so a fit never depends on memory layout.
    rng = np.random.default_rng(4)
    base = _vector(rng, 200, np.float32)
    grads = [_vector(rng, 100, np.float32) for _ in range(3)]
    strided = np.zeros(200, np.float32)[::2]
    strided[...] = base[:100]
    contiguous = base[:100].copy()
    kw = {"weight_decay": 0.01, "n_decay": 60}
    opt_c, opt_s = Optimizer(contiguous, **kw), Optimizer(strided, **kw)
    for g in grads:
        opt_c.step(contiguous, g)
        opt_s.step(strided, g)
    assert_bitwise(strided, contiguous)


def test_kernels_refuse_mismatched_lengths():
    a = np.zeros(5)
    with pytest.raises(ValueError, match="same length"):
        _kernels.adam_update(a, np.zeros(4), a.copy(), a.copy(), 1e-3, 0.9, 0.999, 1e-8)
    with pytest.raises(ValueError, match="n_decay"):
        _kernels.sgd_update(a, a.copy(), a.copy(), 0.1, 0.9, True, 6, 0.9)
    with pytest.raises(ValueError, match="n_l2=6"):
        _kernels.adam_update(a, a.copy(), a.copy(), a.copy(), 1e-3, 0.9, 0.999, 1e-8, 0, 1.0,
                             1, 0.1, 6)
    with pytest.raises(ValueError, match="n_l2=-1"):
        _kernels.sgd_update(a, a.copy(), a.copy(), 0.1, 0.9, True, 0, 1.0, 1, 0.1, -1)


# ------------------------------------------------------------- activations
def derivative_grid(test):
    """The cases of the derivative kernels' tests: both dtypes, every layout, every
    activation with a backward kernel (inf * 0 in the deltas on purpose)."""
    marks = [
        pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning"),
        pytest.mark.parametrize("dtype", DTYPES),
        pytest.mark.parametrize("layout", LAYOUTS),
        pytest.mark.parametrize("activation", ["identity", "relu", "logistic", "tanh"]),
    ]
    for mark in reversed(marks):
        test = mark(test)
    return test


def _layer(rng, dtype, layout):
    Z = (2 * rng.standard_normal((33, 40))).astype(dtype)
    Z[0, :6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, -1e-30]
    if layout == "strided":  # every other column of a wider buffer
        wide = np.zeros((33, 80), dtype)
        wide[:, ::2] = Z
        return wide[:, ::2]
    if layout == "fortran":
        return np.asfortranarray(Z)
    if layout == "row-padded":  # unit-stride rows, further apart than their length
        wide = np.zeros((33, 47), dtype)
        wide[:, 3:43] = Z
        return wide[:, 3:43]
    return Z


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_bias_activation_equals_add_then_activation(dtype, layout, activation):
    rng = np.random.default_rng(5)
    Z = _layer(rng, dtype, layout)
    b = rng.standard_normal(Z.shape[1]).astype(dtype)
    b[3] = 0.0  # -0.0 + 0.0 is +0.0, then relu
    expected = Z.copy()
    expected += b
    ACTIVATIONS[activation].forward(expected)
    _kernels.bias_activation(Z, b, _fused._FORWARD_CODES[activation])
    assert_bitwise(Z, expected)
    if activation == "relu":
        assert np.isnan(Z[0, 0]) and Z[0, 1] == np.inf and Z[0, 2] == 0
        # closed form, independent of numpy's maximum: z if z > 0 else 0
        raw = _layer(np.random.default_rng(5), dtype, layout) + b
        np.testing.assert_array_equal(Z[1:], np.where(raw[1:] > 0, raw[1:], 0))


@derivative_grid
def test_activation_backward_equals_numpy_and_the_derivative(dtype, layout, activation):
    rng = np.random.default_rng(6)
    Z = _layer(rng, dtype, "contiguous")[1:]  # finite pre-activations
    A = Z.copy()
    ACTIVATIONS[activation].forward(A)
    delta = _layer(rng, dtype, layout)[1:]
    delta[0, :3] = [np.nan, np.inf, -np.inf]
    d0 = delta.astype(np.float64)
    expected = delta.copy()
    ACTIVATIONS[activation].backward(A, expected)
    _kernels.activation_backward(A, delta, _fused._BACKWARD_CODES[activation])
    assert_bitwise(delta, expected)
    # The derivative itself, from its closed form in the pre-activation.
    z = Z.astype(np.float64)
    derivative = {
        "identity": np.ones_like(z),
        "relu": (z > 0).astype(float),
        "logistic": np.exp(-z) / (1 + np.exp(-z)) ** 2,
        "tanh": 1 / np.cosh(z) ** 2,
    }[activation]
    finite = np.isfinite(delta)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(delta[finite], (d0 * derivative)[finite], rtol=tol * 10, atol=tol)


def test_relu_backward_keeps_non_finite_deltas_of_inactive_units():
    A = np.array([[0.0, 0.0, 2.0]], np.float32)
    delta = np.array([[np.nan, np.inf, np.inf]], np.float32)
    _kernels.activation_backward(A, delta, _kernels.RELU)
    assert np.isnan(delta[0, 0]) and np.isnan(delta[0, 1]) and delta[0, 2] == np.inf


def test_activation_kernels_refuse_bad_shapes_and_codes():
    Z = np.zeros((3, 4))
    with pytest.raises(ValueError, match="bias has 3"):
        _kernels.bias_activation(Z, np.zeros(3), _kernels.RELU)
    with pytest.raises(ValueError, match="no fused forward"):
        _kernels.bias_activation(Z, np.zeros(4), _kernels.TANH)
    with pytest.raises(ValueError, match="same shape"):
        _kernels.activation_backward(Z, np.zeros((3, 5)), _kernels.RELU)


@derivative_grid
def test_outer_backward_is_the_one_column_product_then_the_derivative(dtype, layout, activation):
    # The delta below a one-unit layer: (d @ w.T) * f'(Z) in one pass.
    rng = np.random.default_rng(8)
    Z = _layer(rng, dtype, "contiguous")[1:]
    A = _layer(rng, dtype, layout)[1:]
    A[...] = Z
    ACTIVATIONS[activation].forward(A)
    d = _with_non_finite(_vector(rng, A.shape[0], dtype))
    d[9] = -0.0
    w = _vector(rng, A.shape[1], dtype)
    w[2] = 0.0
    out = _layer(rng, dtype, layout)[1:]
    _kernels.outer_backward(d, w, A, out, _fused._BACKWARD_CODES[activation])
    # The formula it replaces, step by step: the product (numpy's matmul, equal in value;
    # it adds each product to +0, so its zeros are never negative), then the derivative.
    product = np.matmul(d[:, None], w[None, :])
    expected = np.multiply(d[:, None], w)
    np.testing.assert_array_equal(expected, product)
    ACTIVATIONS[activation].backward(A, expected)
    assert_bitwise(out, expected)
    got = np.empty_like(out)
    _fused.outer_backward(d, w[::-1].copy()[::-1], A, got, activation)  # strided w: numpy
    assert_bitwise(got, expected)


def test_outer_backward_refuses_bad_shapes_and_codes():
    A = np.zeros((3, 4))
    with pytest.raises(ValueError, match="do not match"):
        _kernels.outer_backward(np.zeros(3), np.zeros(5), A, np.zeros((3, 4)), _kernels.RELU)
    with pytest.raises(ValueError, match="do not match"):
        _kernels.outer_backward(np.zeros(3), np.zeros(4), A, np.zeros((2, 4)), _kernels.RELU)
    with pytest.raises(ValueError, match="no fused backward"):
        _kernels.outer_backward(np.zeros(3), np.zeros(4), A, np.zeros((3, 4)), 99)


def _bits(a):
    return a.view(np.uint64 if a.dtype == np.float64 else np.uint32)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_features", [1, 15, 16, 17, 37, 784])
@pytest.mark.parametrize("n_rows", [1, 2, 3, 64])
def test_take_rows_copies_the_rows_bit_for_bit(dtype, n_features, n_rows):
    # The minibatch gather: fancy indexing is the oracle, NaN payloads and -0.0 included;
    # rows repeat, the batch fills only part of the buffer, and there are fewer rows
    # than the prefetch distance.
    rng = np.random.default_rng(n_features + n_rows)
    X = _with_non_finite(_vector(rng, 200 * n_features, dtype)).reshape(200, n_features)
    X[5] = -0.0
    X.ravel()[:3] = np.array([np.nan, -np.nan, np.inf], dtype)
    rows = rng.integers(0, 200, n_rows)
    rows[0] = 5
    out = np.full((n_rows + 7, n_features), 7, dtype)
    _kernels.take_rows(X, rows, out)
    np.testing.assert_array_equal(_bits(out[:n_rows]), _bits(X[rows]))
    np.testing.assert_array_equal(out[n_rows:], 7)  # the rest of the buffer untouched


@pytest.mark.parametrize("dtype", DTYPES)
def test_take_rows_clips_rows_like_numpy_take(dtype):
    X = np.arange(12, dtype=dtype).reshape(4, 3)
    rows = np.array([-3, 0, 4, 99, 2])
    out = np.empty((5, 3), dtype)
    _kernels.take_rows(X, rows, out)
    np.testing.assert_array_equal(out, X[[0, 0, 3, 3, 2]])


@pytest.mark.parametrize("case", ["fortran", "int32 rows", "integer X", "strided out"])
def test_fused_take_rows_falls_back_to_numpy_for_other_layouts(case):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 9))
    rows = rng.permutation(50)[:20]
    out = np.empty((32, 9))
    if case == "fortran":
        X = np.asfortranarray(X)
    elif case == "int32 rows":
        rows = rows.astype(np.int32)
    elif case == "integer X":
        X, out = (100 * X).astype(np.int64), out.astype(np.int64)
    else:
        out = np.empty((32, 18))[:, ::2]
    got = _fused.take_rows(X, rows, out)
    np.testing.assert_array_equal(got, X[rows])
    assert np.shares_memory(got, out)


def test_take_rows_refuses_a_small_buffer_and_an_empty_source():
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match="at least len"):
        _kernels.take_rows(X, np.arange(3), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="at least len"):
        _kernels.take_rows(X, np.arange(3), np.zeros((3, 4)))
    with pytest.raises(IndexError, match="empty"):
        _kernels.take_rows(np.zeros((0, 3)), np.arange(3), np.zeros((3, 3)))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf - inf on purpose
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("n_cols", [1, 2, 10, 40])
def test_subtract_row_max_is_the_softmax_shift_of_numpy(dtype, layout, n_cols):
    rng = np.random.default_rng(n_cols)
    Z = _layer(rng, dtype, layout)[:, :n_cols]
    Z[1, 0] = np.nan  # a NaN anywhere in a row makes its maximum NaN
    Z[2, -1] = np.nan
    Z[3] = -np.inf  # all -inf: -inf - -inf is NaN
    Z[4, 0] = np.inf
    Z[5] = -0.0
    Z[6, 0], Z[6, -1] = 0.0, -0.0  # the sign of a zero maximum is left open
    expected_max = Z.max(axis=1, keepdims=True)
    expected = Z - expected_max
    out = np.full_like(Z, 7)
    z_max = np.empty(Z.shape[0], dtype)
    _kernels.subtract_row_max(Z, out, z_max)
    np.testing.assert_array_equal(z_max, expected_max[:, 0])  # NaN where NaN; 0 == -0
    # The shifted rows, and their exponentials (what the losses use), bit for bit, except
    # the sign of a zero Z - 0 in row 6, whose exponential is the same.
    np.testing.assert_array_equal(out, expected)
    assert_bitwise(np.exp(out), np.exp(expected))
    keep = np.ones(Z.shape[0], bool)
    keep[6] = False
    assert_bitwise(out[keep], expected[keep])
    got = _fused.subtract_row_max(Z, out)
    np.testing.assert_array_equal(got, expected_max)
    in_place = Z.copy()
    _fused.subtract_row_max(in_place, in_place)  # the inverse link works in place
    assert_bitwise(in_place[keep], expected[keep])


def test_subtract_row_max_falls_back_to_numpy_and_refuses_bad_shapes():
    Z = np.arange(12, dtype=np.int64).reshape(3, 4)
    out = np.empty_like(Z)
    np.testing.assert_array_equal(_fused.subtract_row_max(Z, out), [[3], [7], [11]])
    np.testing.assert_array_equal(out, Z - [[3], [7], [11]])
    with pytest.raises(ValueError, match="do not match"):
        _kernels.subtract_row_max(np.zeros((3, 4)), np.zeros((3, 5)), np.zeros(3))
    with pytest.raises(ValueError, match="do not match"):
        _kernels.subtract_row_max(np.zeros((3, 4)), np.zeros((3, 4)), np.zeros(2))
    with pytest.raises(ValueError, match="empty row"):
        _kernels.subtract_row_max(np.zeros((3, 0)), np.zeros((3, 0)), np.zeros(3))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_fused_wrappers_equal_the_activation_table_for_every_activation(activation):
    # Activations without a kernel go through numpy: same results either way.
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((16, 9)).astype(np.float32)
    b = rng.standard_normal(9).astype(np.float32)
    expected = Z + b
    ACTIVATIONS[activation].forward(expected)
    got = Z.copy()
    _fused.bias_activation(got, b, activation)
    assert_bitwise(got, expected)
    source = Z if ACTIVATIONS[activation].needs_input else got
    delta = rng.standard_normal((16, 9)).astype(np.float32)
    want = delta.copy()
    ACTIVATIONS[activation].backward(source, want)
    _fused.activation_backward(source, delta, activation)
    assert_bitwise(delta, want)


@pytest.mark.skipif(not _kernels.OPENMP, reason="built without OpenMP")
def test_kernel_threads_follow_the_openmp_limit_of_threadpoolctl():
    from threadpoolctl import threadpool_limits

    for limit in (1, 2):
        with threadpool_limits(limits=limit, user_api="openmp"):
            assert _kernels.max_threads() == limit


_SERIAL_CHECK = """
import numpy as np
from skperceptron import MLPClassifier, _kernels
assert _kernels.__file__.startswith({root!r}), _kernels.__file__
assert not _kernels.OPENMP and _kernels.max_threads() == 1
rng = np.random.default_rng(0)
arrays = [rng.standard_normal(200_003) for _ in range(3)] + [rng.random(200_003)]
results = []
for n_threads in (1, 4):  # asking for threads runs serially, with the same bits
    theta, g, m, v = (a.copy() for a in arrays)
    _kernels.adam_update(theta, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0, 1.0, n_threads)
    results.append(theta)
assert np.array_equal(results[0], results[1])
X = np.random.default_rng(1).standard_normal((300, 6))
y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
est = MLPClassifier((16,), max_iter=3, random_state=0).fit(X, y)
np.save({out!r}, np.concatenate([c.ravel() for c in est.coefs_ + est.intercepts_]))
"""


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_build_without_openmp_runs_serially_with_the_same_results(tmp_path):
    # The package built with SKPERCEPTRON_OPENMP=0 (what a compiler without OpenMP
    # gets) into a temporary copy, run in a subprocess: it says it is serial, ignores
    # thread requests, and trains the same model, bit for bit, as this build.
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import skperceptron
    from skperceptron import MLPClassifier

    pytest.importorskip("Cython")
    source = Path(skperceptron.__file__).parent
    root = tmp_path / "serial"
    shutil.copytree(source, root / "skperceptron",
                    ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    shutil.copy(source.parent / "setup.py", root)
    env = {**os.environ, "SKPERCEPTRON_OPENMP": "0"}
    build = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
                           cwd=root, env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    out = tmp_path / "weights.npy"
    code = _SERIAL_CHECK.format(root=str(root), out=str(out))
    subprocess.run([sys.executable, "-c", code], cwd=root, env={**env, "PYTHONPATH": str(root)},
                   check=True)

    X = np.random.default_rng(1).standard_normal((300, 6))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    est = MLPClassifier((16,), max_iter=3, random_state=0).fit(X, y)
    expected = np.concatenate([c.ravel() for c in est.coefs_ + est.intercepts_])
    assert_bitwise(np.load(out), expected)


# ------------------------------------------------------------ whole fits
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("n_classes", [3, 2])  # 2: one output unit, the outer product
def test_a_fit_and_its_predictions_do_not_depend_on_the_compiled_path(
    n_classes, activation, solver, dtype, monkeypatch
):
    # Every kernel of the training step and of prediction against its numpy formula at
    # once: the fitted weights, probabilities and losses are the same bits either way.
    from sklearn.datasets import make_classification

    from skperceptron import MLPClassifier

    X, y = make_classification(120, 8, n_informative=5, n_classes=n_classes, random_state=0)
    X = X.astype(dtype)
    params = dict(hidden_layer_sizes=(17, 9), activation=activation, solver=solver,
                  batch_size=32, max_iter=3, random_state=0)

    def fit():
        model = MLPClassifier(**params).fit(X, y)
        return [*model.coefs_, *model.intercepts_, model.predict_proba(X),
                np.array(model.loss_curve_)]

    counting = _CountingKernels(_fused._kernels)
    monkeypatch.setattr(_fused, "_kernels", counting)
    compiled = fit()
    # The compiled run did take the kernels (no silent fallback to numpy): each one the
    # table of notes/mlp.md wires to this network, and no other.
    wired = {"take_rows", f"{solver}_update", "activation_backward",
             "subtract_row_max" if n_classes > 2 else "outer_backward"}
    if activation in ("relu", "identity"):
        wired.add("bias_activation")
    assert set(counting.calls) == wired
    monkeypatch.setattr(_fused, "_kernels", None)
    numpy_path = fit()
    assert compiled[0].dtype == dtype
    for a, b in zip(compiled, numpy_path, strict=True):
        assert_bitwise(a, b)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_a_fit_with_the_l2_term_in_the_step_has_the_whole_gradients_bits(
    solver, weight_decay, monkeypatch
):
    # Without clipping, minibatch training leaves the L2 gradient to the optimizer's
    # pass; a clipping bound that never binds sends the whole gradient through instead.
    from sklearn.datasets import make_classification

    from skperceptron import MLPClassifier
    from skperceptron._network import Objective

    X, y = make_classification(150, 6, n_informative=4, random_state=1)
    whole_gradient_calls = []
    original = Objective.value_and_grad

    def counting(self, *args, **kwargs):
        whole_gradient_calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Objective, "value_and_grad", counting)
    params = dict(hidden_layer_sizes=(9, 4), solver=solver, alpha=0.05, batch_size=32,
                  weight_decay=weight_decay, max_iter=4, random_state=0)
    in_step = MLPClassifier(**params).fit(X, y)
    assert not whole_gradient_calls
    whole = MLPClassifier(max_grad_norm=1e300, **params).fit(X, y)
    assert len(whole_gradient_calls) == 4 * 5  # 4 epochs of 5 minibatches
    for a, b in zip(in_step.coefs_ + in_step.intercepts_, whole.coefs_ + whole.intercepts_,
                    strict=True):
        assert_bitwise(a, b)
    assert in_step.loss_curve_ == whole.loss_curve_


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_axpy_is_numpys_formula_bit_for_bit(dtype, layout):
    # The L2 term of the gradient: y += a * x, one rounding for the product and one for
    # the sum, as numpy does (BLAS axpy may fuse them); strided views take numpy's path
    # and still update the caller's array.
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2 * 1001).astype(dtype)
    y = rng.standard_normal(2 * 1001).astype(dtype)
    if layout == "strided":
        x, y = x[::2], y[::2]
    expected = y.copy()
    expected += -0.375 * x
    _fused.axpy(-0.375, x, y)
    np.testing.assert_array_equal(y, expected)
    assert y.dtype == dtype


def test_axpy_with_mixed_dtypes_falls_back_to_numpy():
    x = np.arange(5, dtype=np.float64)
    y = np.ones(5, dtype=np.float32)
    _fused.axpy(2.0, x, y)
    np.testing.assert_array_equal(y, np.ones(5) + 2 * np.arange(5))
    assert y.dtype == np.float32


def _strided(x):
    """A copy of ``x`` that the kernels do not take (every other entry of a buffer)."""
    return np.repeat(x, 2)[::2]


@pytest.mark.parametrize("scalar", [np.float64, float])
def test_numpy_scalars_round_alike_on_both_paths(scalar):
    # A numpy float64 coefficient with float32 arrays: numpy's formula computed the
    # products in float64 (NEP 50) where the kernel rounds the scalar to float32 first,
    # so the two paths gave other bits. Scalars now enter both as Python floats.
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(1001).astype(np.float32) for _ in range(4)]
    arrays[3] = np.abs(arrays[3])
    runs = {}
    for path, layout in [("kernel", np.copy), ("numpy", _strided)]:
        theta, g, m, v = (layout(a) for a in arrays)
        _fused.adam_update(theta, g, m, v, scalar(1e-3), scalar(0.9), scalar(0.999),
                           scalar(1e-8), n_decay=500, decay=scalar(0.9999), l2=scalar(0.01),
                           n_l2=700)
        velocity = layout(arrays[2])
        _fused.sgd_update(theta, g, velocity, scalar(0.1), scalar(0.9), True, n_decay=3,
                          decay=scalar(0.999), l2=scalar(0.3), n_l2=10)
        y = layout(arrays[1])
        _fused.axpy(scalar(0.1), layout(arrays[0]), y)
        runs[path] = [np.array(a) for a in (theta, m, v, velocity, y)]
    for kernel, numpy in zip(runs["kernel"], runs["numpy"], strict=True):
        np.testing.assert_array_equal(kernel, numpy)


def test_broadcasting_shapes_take_the_numpy_formula():
    # The formulas broadcast (a one-entry bias, one row of A); the kernels raised.
    Z = np.linspace(-1, 1, 12).reshape(3, 4)
    got = Z.copy()
    _fused.bias_activation(got, np.array([0.25]), "relu")
    np.testing.assert_array_equal(got, np.maximum(Z + 0.25, 0))
    A, delta = (Z[:1] > 0).astype(float), np.ones((3, 4))
    _fused.activation_backward(A, delta, "relu")
    np.testing.assert_array_equal(delta, np.broadcast_to(A, (3, 4)))
    out = np.empty((3, 4))
    _fused.outer_backward(np.ones(3), np.ones(4), np.ones((1, 4)), out, "identity")
    np.testing.assert_array_equal(out, np.ones((3, 4)))
