"""The one module that touches scikit-learn's private helpers.

scikit-learn's validation helpers move between releases (``validate_data`` became a
function in 1.6, ``_check_sample_weight`` and the parameter-constraint classes are
private). Every other module imports them from here, so a scikit-learn upgrade is a
one-file change and no copy of a private helper lives in this package.
"""

from sklearn.base import _fit_context  # noqa: F401
from sklearn.utils._param_validation import (  # noqa: F401
    Hidden,
    Interval,
    Options,
    StrOptions,
)
from sklearn.utils.multiclass import (  # noqa: F401
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (  # noqa: F401
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    validate_data,
)

__all__ = [
    "_fit_context",
    "Hidden",
    "Interval",
    "Options",
    "StrOptions",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "check_is_fitted",
    "check_random_state",
    "type_of_target",
    "unique_labels",
    "validate_data",
]
