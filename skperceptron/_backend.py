"""Where one fit's arrays live when they are not numpy arrays: an Array API namespace on
a device (PyTorch, CuPy, array-api-strict, ...).

The numpy path never sees this record: it runs the tuned, buffer-reusing code of
``_network``, ``_fused`` and ``_batches``. When the input is another namespace's array
(scikit-learn's ``array_api_dispatch``), the estimator builds one :class:`ArrayBackend`
per call (``_validation.array_backend``) and hands it to the functional bodies of the
leaf kernels (``_activations``, ``_losses``, ``_array_steps``) and to
``_network_array.ArrayObjective``; the epoch loop, the stop rule, schedules and the
estimator steps are shared with the numpy path.

Host/device traffic is kept to what the design needs: randomness (initial weights,
shuffles, dropout masks, the early-stopping split) is drawn on the host with numpy and
moved; the training loss is read back once per epoch, never per minibatch.

This module imports neither scikit-learn nor any array library besides numpy.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArrayBackend:
    """An Array API namespace and device, with the few operations the package needs
    that the standard does not name.

    Parameters
    ----------
    xp : module
        The (array-api-compat wrapped) namespace of the input.
    device : object
        The device of the input.
    to_host : callable
        ``to_host(array) -> numpy.ndarray`` (scikit-learn's ``move_to``).
    erf : callable
        Elementwise error function on arrays of ``xp`` (the namespace's own where it has
        one, through scipy's Array API dispatch; otherwise computed on the host).
    """

    xp: object
    device: object
    to_host: Callable
    erf: Callable

    def asarray(self, array, dtype=None):
        """``array`` (numpy or of ``xp``) as an array of ``xp`` on this device."""
        if isinstance(array, np.ndarray) and dtype is not None:
            array = array.astype(_numpy_dtype(self.xp, dtype), copy=False)
            dtype = None
        return self.xp.asarray(array, dtype=dtype, device=self.device)

    def copy(self, array):
        """An independent copy on the same device."""
        return self.xp.asarray(array, copy=True)

    def zeros_like(self, array):
        return self.xp.zeros_like(array)

    def all_finite(self, array):
        """Whether every entry is finite (one host synchronisation)."""
        return bool(self.xp.all(self.xp.isfinite(array)))

    def take_rows(self, X, rows):
        """``X[rows]`` (along the first axis, any ndim) for an index array ``rows`` of
        ``xp`` on this device."""
        return self.xp.take(X, rows, axis=0)

    def numpy_dtype(self, dtype):
        """The numpy dtype of a floating dtype of ``xp``."""
        return _numpy_dtype(self.xp, dtype)

    def clip_by_global_norm(self, grad, max_norm):
        """``grad`` rescaled to at most ``max_norm`` in L2 norm, with no host round trip."""
        xp = self.xp
        # A sum of squares that overflows (a float32 norm above ~1.8e19) is redone on
        # grad / max|grad| and the factor formed without the norm itself, selected on
        # the device: there is no host branch to take. (errstate: array-api-strict
        # computes with numpy, which would warn of the overflows repaired here.)
        with np.errstate(over="ignore"):
            return _clip_factor(xp, grad, max_norm) * grad


def _clip_factor(xp, grad, max_norm):
    """``min(1, max_norm / ||grad||)`` as a 0-d array, exactly 1 where nothing is
    clipped (torch's scalar / tensor is a reciprocal times the scalar, so
    ``max_norm / max_norm`` can be 1 - 1 ulp)."""
    norm = xp.sqrt(xp.vecdot(grad, grad))
    top = xp.max(xp.abs(grad))
    one = xp.ones_like(norm)
    safe_top = xp.where(top > 0, top, one)
    unit = xp.sqrt(xp.vecdot(grad / safe_top, grad / safe_top))  # norm / top
    clip = norm > max_norm
    factor = xp.where(clip, max_norm / xp.where(clip, norm, one), one)
    # An overflowed norm is over max_norm when unit > max_norm / top.
    longer = unit > max_norm / safe_top
    rescued = xp.where(longer, (max_norm / safe_top) / xp.where(longer, unit, one), one)
    return xp.where(xp.isinf(norm) & xp.isfinite(top), rescued, factor)


def host_dtype(ops, dtype):
    """The numpy dtype of an array's ``dtype``: of its host copy when ``ops`` (the
    input's :class:`ArrayBackend`) is given, numpy's own when it is None."""
    return np.dtype(dtype) if ops is None else ops.numpy_dtype(dtype)


def _numpy_dtype(xp, dtype):
    """numpy's float dtype for a float dtype of ``xp`` (or numpy's own)."""
    if isinstance(dtype, np.dtype) or isinstance(dtype, type):
        return np.dtype(dtype)
    return np.dtype(np.float32) if dtype == xp.float32 else np.dtype(np.float64)

