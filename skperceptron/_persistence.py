"""Version stamps for saved models.

A pickled (or skops-saved) estimator records the skperceptron version that wrote it;
loading it under another version warns, as scikit-learn's own
``InconsistentVersionWarning`` does for scikit-learn estimators, because fitted state
is only guaranteed to be understood by the version that wrote it.
"""

import warnings

from ._version import __version__


class InconsistentVersionWarning(UserWarning):
    """An estimator is loaded under another skperceptron version than wrote it.

    Attributes
    ----------
    estimator_name : str
        Class name of the loaded estimator.
    current_version : str
        The installed skperceptron version.
    original_version : str
        The version that saved the estimator.
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} from skperceptron "
            f"version {self.original_version} when using version "
            f"{self.current_version}. This might lead to breaking code or invalid "
            "results. Use at your own risk; refit the model or install the version "
            "that saved it."
        )


class VersionedStateMixin:
    """Stamp the skperceptron version into the pickled state; warn on a mismatch."""

    def __getstate__(self):
        # A copy: for estimators outside sklearn's own modules, BaseEstimator hands
        # back the live __dict__, and the stamp would become an attribute of the model.
        return {**super().__getstate__(), "_skperceptron_version": __version__}

    def __setstate__(self, state):
        original = state.pop("_skperceptron_version", "unknown")
        if original != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    original_version=original,
                )
            )
        super().__setstate__(state)
