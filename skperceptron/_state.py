"""Estimator state: constructor arguments, all-or-nothing calls, version stamps.

- :func:`store_init_params` records ``__init__``'s arguments as given (scikit-learn's
  convention: validation happens in ``fit``).
- :func:`transactional` makes a method all-or-nothing: if it raises (a bad argument,
  a diverged first epoch, Ctrl-C) the estimator's attributes are put back, so a failed
  call never damages a fitted model. This relies on training never mutating stored
  arrays in place (the loops work on copies of the weights and optimizer state).
- :class:`VersionedStateMixin` (defined in :mod:`skperceptron._persistence`, re-exported
  here) stamps the skperceptron version into pickled state and warns with
  :class:`InconsistentVersionWarning` when another version loads it, as scikit-learn
  does for its own estimators.
"""

import functools

from ._persistence import InconsistentVersionWarning, VersionedStateMixin

__all__ = [
    "InconsistentVersionWarning",
    "VersionedStateMixin",
    "store_init_params",
    "transactional",
]


def store_init_params(estimator, params):
    """Store the constructor's arguments as given (``store_init_params(self, locals())``)."""
    for name, value in params.items():
        if name != "self":
            setattr(estimator, name, value)


def transactional(method):
    """Restore the estimator's attributes if ``method`` raises (any exception)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper
