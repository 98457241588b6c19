"""The one module that touches scikit-learn's private helpers.

scikit-learn's validation helpers move between releases (``validate_data`` became a
function in 1.6, ``_check_sample_weight`` and the parameter-constraint classes are
private). Every other module imports them from here, so a scikit-learn upgrade is a
one-file change and no copy of a private helper lives in this package.
"""

import functools
import inspect
import warnings
import weakref
from functools import partial
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
import scipy.special
from sklearn import get_config
from sklearn.base import _fit_context  # noqa: F401
from sklearn.utils._array_api import _is_numpy_namespace, get_namespace_and_device
from sklearn.utils._param_validation import (  # noqa: F401
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.multiclass import (  # noqa: F401
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight as _sklearn_check_sample_weight
from sklearn.utils.validation import (  # noqa: F401
    _is_fitted,
    check_is_fitted,
    check_random_state,
    validate_data,
)

from ._backend import ArrayBackend, host_dtype

try:  # scikit-learn >= 1.9: Array API dispatch with device moves and namespace checks
    from sklearn.utils._array_api import (
        _estimator_with_converted_arrays,
        check_same_namespace,
        move_to,
    )

    ARRAY_API_SUPPORTED = True
except ImportError:  # scikit-learn 1.6-1.8: numpy only
    ARRAY_API_SUPPORTED = False

# The input contract of every estimator of the package, in fit and predict alike:
# dense arrays or CSR matrices (other sparse formats are converted), float64 or
# float32 kept as given (anything else becomes float64).
INPUT_CONTRACT = {"accept_sparse": "csr", "dtype": (np.float64, np.float32)}


def validate_input(estimator, X, y="no_validation", *, reset, numpy_only=False, **kwargs):
    """``validate_data`` under :data:`INPUT_CONTRACT`; ``kwargs`` add to or override it.

    For an Array API input the contract's numpy dtypes name the namespace's own; an
    estimator that runs on numpy only (``numpy_only``) refuses such input by name."""
    params = {**INPUT_CONTRACT, **kwargs}
    if not reset and isinstance(y, str) and y == "no_validation":
        _refuse_strings(X)
    xp, is_array_api, _ = get_namespace_and_device(X)
    if is_array_api and not _is_numpy_namespace(xp):
        if numpy_only:
            raise ValueError(
                f"{type(estimator).__name__} works on NumPy arrays and SciPy sparse "
                f"matrices only (its training loop is compiled code), but got an array of "
                f"{xp.__name__} with array_api_dispatch on. Convert the input to NumPy, "
                "or use MLPClassifier, which runs in any Array API namespace."
            )
        if xp.isdtype(X.dtype, "complex floating"):
            # scikit-learn's complex check reads numpy's ``dtype.kind``; a complex
            # tensor would otherwise be cast to real, silently dropping its imaginary part.
            raise ValueError(f"Complex data not supported\n{X}\n")
        params["dtype"] = _namespace_dtypes(xp, params["dtype"])
    return validate_data(estimator, X, y, reset=reset, **params)


def _refuse_strings(X):
    """scikit-learn's rule at prediction: arrays of strings or bytes are refused (its
    fit converts numeric strings, its predict does not)."""
    if isinstance(X, (list, tuple, np.ndarray)) and np.asarray(X).dtype.kind in "USV":
        raise ValueError(
            "dtype='numeric' is not compatible with arrays of bytes/strings. Convert "
            "your data to numeric values explicitly instead."
        )


# estimator -> the parameter values last validated by a partial_fit (kept off the
# estimator: nothing is pickled, and a failed call changes no attribute).
_VALIDATED = weakref.WeakKeyDictionary()


def partial_fit_context(partial_fit):
    """scikit-learn's ``_fit_context`` for ``partial_fit``, which also validates the
    parameters of a fitted estimator (scikit-learn's validates a first call only, so a
    value set later with ``set_params`` reached training).

    A full validation costs ~0.2-0.3 ms, as much as a small partial_fit: it is skipped
    when the very parameter objects passed last time (an identity test, microseconds),
    and under ``skip_parameter_validation``, which ``_fit_context`` sets for nested
    calls and so must be read outside it."""
    in_context = _fit_context(prefer_skip_nested_validation=True)(partial_fit)

    @functools.wraps(partial_fit)
    def wrapper(estimator, *args, **kwargs):
        if not get_config()["skip_parameter_validation"] and _is_fitted(estimator):
            _validate_unless_unchanged(estimator)
        return in_context(estimator, *args, **kwargs)

    return wrapper


def _validate_unless_unchanged(estimator):
    current = [getattr(estimator, name) for name in estimator._parameter_constraints]
    last = _VALIDATED.get(estimator)
    if last is None or any(a is not b for a, b in zip(last, current, strict=True)):
        estimator._validate_params()
        _VALIDATED[estimator] = current


def _namespace_dtypes(xp, dtype):
    """numpy float dtype(s) as the dtype(s) of the same name in ``xp``."""
    if isinstance(dtype, tuple | list):
        return tuple(_namespace_dtypes(xp, d) for d in dtype)
    return getattr(xp, np.dtype(dtype).name)


_HAS_ZERO_WEIGHT_OPTION = (
    "allow_all_zero_weights" in inspect.signature(_sklearn_check_sample_weight).parameters
)


def _check_sample_weight(
    sample_weight, X, *, dtype=None, ensure_non_negative=False, allow_all_zero_weights=False
):
    """scikit-learn's ``_check_sample_weight`` on every supported release.

    ``allow_all_zero_weights`` arrived after scikit-learn 1.6; before it, all-zero
    weights were accepted, so the refusal is done here.
    """
    if _HAS_ZERO_WEIGHT_OPTION:
        return _sklearn_check_sample_weight(
            sample_weight, X, dtype=dtype, ensure_non_negative=ensure_non_negative,
            allow_all_zero_weights=allow_all_zero_weights,
        )
    sample_weight = _sklearn_check_sample_weight(
        sample_weight, X, dtype=dtype, ensure_non_negative=ensure_non_negative
    )
    if not allow_all_zero_weights and not sample_weight.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


def lbfgs_warning_text(n_iter, status, message, max_iter):
    """The installed scikit-learn's ConvergenceWarning text for an L-BFGS run that ended
    with ``status`` (nonzero) after ``n_iter`` iterations (its words change between
    releases, so they are asked for, not copied)."""
    result = SimpleNamespace(status=status, nit=n_iter, message=message)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _check_optimize_result("lbfgs", result, max_iter)
    return str(caught[0].message)


def check_class_weights(weights, class_weight):
    """``weights`` (one per class, from ``class_weight``) if finite and non-negative:
    they multiply the sample weights, which must be."""
    weights = np.asarray(weights, dtype=np.float64)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(
            f"class_weight must give every class a finite, non-negative weight; got "
            f"{class_weight!r}."
        )
    return weights


def validate_host_sample_weight(sample_weight, n_samples, dtype):
    """:func:`validate_sample_weight` for ``n_samples`` rows of numpy ``dtype`` (rows
    that live on a device: the weights are checked on the host)."""
    return validate_sample_weight(to_host(sample_weight), np.empty((n_samples, 0), dtype))


def validate_sample_weight(sample_weight, X):
    """Non-negative sample weights in ``X``'s dtype with a positive sum, or None."""
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return sample_weight


# ------------------------------------------------------------- Array API
ARRAY_API_VERSION_MESSAGE = (
    "Array API dispatch (sklearn.set_config(array_api_dispatch=True)) with non-NumPy "
    "input needs scikit-learn >= 1.9 in skperceptron; this is scikit-learn %s. Pass "
    "NumPy arrays, or upgrade scikit-learn."
)


def _is_foreign_array(X):
    """An array of another library than numpy (a torch tensor, a CuPy array, ...)."""
    return (
        not isinstance(X, np.ndarray | np.generic)
        and not sp.issparse(X)
        and (hasattr(X, "__array_namespace__") or hasattr(X, "__dlpack__"))
    )


def input_backend(X):
    """The :class:`~skperceptron._backend.ArrayBackend` of ``X`` when scikit-learn's
    ``array_api_dispatch`` is on and ``X`` is not a numpy array (or sparse matrix);
    None otherwise, which selects the numpy path."""
    if not get_config()["array_api_dispatch"]:
        return None
    if not ARRAY_API_SUPPORTED:
        if _is_foreign_array(X):
            import sklearn

            raise ValueError(ARRAY_API_VERSION_MESSAGE % sklearn.__version__)
        return None
    xp, is_array_api, device = get_namespace_and_device(X)
    if not is_array_api or _is_numpy_namespace(xp):
        return None
    return array_backend(xp, device)


def array_backend(xp, device):
    """The backend of namespace ``xp`` on ``device``, with an ``erf`` that works there."""
    to_host = partial(move_to, xp=np, device="cpu")
    return ArrayBackend(xp, device, to_host, _erf_for(xp, device, to_host))


def _erf_for(xp, device, to_host):
    """erf for arrays of ``xp``: scipy's Array API dispatch uses the namespace's own
    (torch, CuPy, JAX); where it cannot (array-api-strict off its CPU device), erf is
    computed on the host. Decided at the first call, so a fit without GELU pays nothing."""
    chosen = []

    def on_host(x):
        return xp.asarray(scipy.special.erf(to_host(x)), device=device)

    def erf(x):
        if chosen:
            return chosen[0](x)
        try:
            out = scipy.special.erf(x)
            chosen.append(scipy.special.erf)
        except (RuntimeError, TypeError, ValueError, BufferError):
            out = on_host(x)
            chosen.append(on_host)
        return out

    return erf


def namespace_and_device(array):
    """``(xp, device)`` of an array: with dispatch off, or for numpy arrays, the
    array-api-compat numpy namespace (whose functions return numpy arrays)."""
    xp, _, device = get_namespace_and_device(array)
    return xp, device


DISPATCH_OFF_MESSAGE = (
    "{name}.{method}: the model holds {kind} arrays (it was fitted with "
    "array_api_dispatch=True) and scikit-learn's array_api_dispatch is off. Call it "
    "inside sklearn.config_context(array_api_dispatch=True), or move the model to "
    "numpy first: sklearn.utils._array_api.move_estimator_to(model, numpy, 'cpu')."
)


def check_fitted_namespace(X, estimator, method):
    """scikit-learn's ``check_same_namespace`` against the fitted weights (``X`` must
    be of the namespace and device the model was fitted on); with dispatch off, a
    model holding another library's arrays is refused by name."""
    if not get_config()["array_api_dispatch"]:
        weights = getattr(estimator, "_reference_weights", None)
        if _is_foreign_array(weights):
            kind = f"{type(weights).__module__}.{type(weights).__name__}"
            raise ValueError(DISPATCH_OFF_MESSAGE.format(
                name=type(estimator).__name__, method=method, kind=kind))
        return
    if ARRAY_API_SUPPORTED:
        check_same_namespace(X, estimator, attribute="_reference_weights", method=method)


def holds_device_arrays(estimator):
    """Whether a fitted estimator keeps another library's arrays: it was fitted on
    them with ``array_api_dispatch=True``."""
    return _is_foreign_array(getattr(estimator, "_reference_weights", None))


def to_host(array):
    """``array`` as a numpy array when it is another library's array; anything else
    (numpy arrays, lists, sparse matrices, None) unchanged."""
    if ARRAY_API_SUPPORTED and _is_foreign_array(array):
        return move_to(array, xp=np, device="cpu")
    return array


def convert_arrays(value, converter):
    """scikit-learn's conversion of every array inside ``value`` (lists, dicts, ...)."""
    return _estimator_with_converted_arrays(value, converter)


__all__ = [
    "_fit_context",
    "Hidden",
    "INPUT_CONTRACT",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "ARRAY_API_SUPPORTED",
    "array_backend",
    "check_fitted_namespace",
    "partial_fit_context",
    "convert_arrays",
    "host_dtype",
    "input_backend",
    "namespace_and_device",
    "to_host",
    "check_is_fitted",
    "check_random_state",
    "type_of_target",
    "unique_labels",
    "validate_data",
    "validate_input",
    "validate_host_sample_weight",
    "validate_sample_weight",
]
