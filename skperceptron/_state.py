"""Estimator state: constructor arguments, all-or-nothing calls, version stamps.

- :func:`store_init_params` records ``__init__``'s arguments as given (scikit-learn's
  convention: validation happens in ``fit``).
- :func:`transactional` makes a method all-or-nothing: if it raises (a bad argument,
  a diverged first epoch, Ctrl-C) the estimator's attributes are put back, so a failed
  call never damages a fitted model. This relies on training never mutating stored
  arrays in place (the loops work on copies of the weights and optimizer state).
  A Ctrl-C before the first epoch completed (:func:`interrupted_early`) is not an
  error: the attributes are put back, and :func:`interruptible` (around the public
  ``fit`` / ``partial_fit``, above the callbacks' root task, which sees a failed fit)
  warns and returns the estimator.
- :class:`VersionedStateMixin` (defined in :mod:`skperceptron._persistence`, re-exported
  here) stamps the skperceptron version into pickled state and warns with
  :class:`InconsistentVersionWarning` when another version loads it, as scikit-learn
  does for its own estimators.
"""

import functools
import warnings

from ._persistence import InconsistentVersionWarning, VersionedStateMixin

__all__ = [
    "InconsistentVersionWarning",
    "InterruptedEarly",
    "VersionedStateMixin",
    "interruptible",
    "interrupted_early",
    "store_init_params",
    "transactional",
]


def store_init_params(estimator, params):
    """Store the constructor's arguments as given (``store_init_params(self, locals())``)."""
    for name, value in params.items():
        if name != "self":
            setattr(estimator, name, value)


class InterruptedEarly(Exception):
    """Ctrl-C before a training call completed its first epoch: nothing was learned.

    Raised inside a :func:`transactional` method (which restores the attributes) below
    an :func:`interruptible` one, which warns (``UserWarning``, this message) and
    returns the estimator, as after an interrupt in a later epoch, which keeps that
    epoch."""


def interrupted_early(estimator, fitted_attribute):
    """The :class:`InterruptedEarly` to raise; its message says what is kept."""
    kept = ("the previous fitted model is kept" if hasattr(estimator, fitted_attribute)
            else "the estimator stays unfitted")
    return InterruptedEarly(
        f"Training interrupted by user before the first epoch completed; {kept}."
    )


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


def interruptible(method):
    """Warn and return the estimator when ``method`` raises :class:`InterruptedEarly`."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except InterruptedEarly as interrupted:
            warnings.warn(str(interrupted), UserWarning, stacklevel=2)
            return self

    return wrapper
