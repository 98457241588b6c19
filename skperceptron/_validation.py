"""The one module that touches scikit-learn's private helpers.

scikit-learn's validation helpers move between releases (``validate_data`` became a
function in 1.6, ``_check_sample_weight`` and the parameter-constraint classes are
private). Every other module imports them from here, so a scikit-learn upgrade is a
one-file change and no copy of a private helper lives in this package.
"""

import inspect

import numpy as np
from sklearn.base import _fit_context  # noqa: F401
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
from sklearn.utils.validation import _check_sample_weight as _sklearn_check_sample_weight
from sklearn.utils.validation import (  # noqa: F401
    check_is_fitted,
    check_random_state,
    validate_data,
)

# The input contract of every estimator of the package, in fit and predict alike:
# dense arrays or CSR matrices (other sparse formats are converted), float64 or
# float32 kept as given (anything else becomes float64).
INPUT_CONTRACT = {"accept_sparse": "csr", "dtype": (np.float64, np.float32)}


def validate_input(estimator, X, y="no_validation", *, reset, **kwargs):
    """``validate_data`` under :data:`INPUT_CONTRACT`; ``kwargs`` add to or override it."""
    return validate_data(estimator, X, y, reset=reset, **{**INPUT_CONTRACT, **kwargs})


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


def validate_sample_weight(sample_weight, X):
    """Non-negative sample weights in ``X``'s dtype with a positive sum, or None."""
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return sample_weight


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
    "check_is_fitted",
    "check_random_state",
    "type_of_target",
    "unique_labels",
    "validate_data",
    "validate_input",
    "validate_sample_weight",
]
