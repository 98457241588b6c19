"""The in-place BLAS helpers: numpy's closed form, and the caller's array updated."""

import numpy as np
import pytest

from skperceptron._blas import axpy, scal


def _close(actual, expected):
    # BLAS may fuse the multiply-add: one rounding instead of two.
    eps = np.finfo(actual.dtype).eps
    np.testing.assert_allclose(actual, expected, rtol=8 * eps, atol=8 * eps)


def _vectors(dtype, layout):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2 * 1001).astype(dtype)
    y = rng.standard_normal(2 * 1001).astype(dtype)
    if layout == "contiguous":
        return x[:1001], y[:1001]
    # Strided views, which scipy's wrappers would copy: the fallback must still
    # write into the caller's array.
    return x[::2], y[::2]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_axpy_updates_y_in_place(dtype, layout):
    x, y = _vectors(dtype, layout)
    expected = y + np.asarray(-0.375, dtype) * x
    axpy(-0.375, x, y)
    _close(y, expected)
    assert y.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_scal_scales_y_in_place(dtype, layout):
    _, y = _vectors(dtype, layout)
    expected = y * np.asarray(0.9, dtype)
    scal(0.9, y)
    _close(y, expected)


def test_axpy_with_mixed_dtypes_falls_back_to_numpy():
    x = np.arange(5, dtype=np.float64)
    y = np.ones(5, dtype=np.float32)
    axpy(2.0, x, y)
    np.testing.assert_array_equal(y, np.ones(5) + 2 * np.arange(5))
    assert y.dtype == np.float32


def test_slices_of_a_larger_vector_leave_the_rest_untouched():
    # The optimizers and the L2 penalty update prefixes of theta.
    theta = np.arange(10, dtype=np.float64)
    axpy(1.0, np.ones(4), theta[:4])
    scal(0.5, theta[6:])
    np.testing.assert_array_equal(theta, [1, 2, 3, 4, 4, 5, 3, 3.5, 4, 4.5])
