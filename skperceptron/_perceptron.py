"""PerceptronClassifier: the estimator API of Rosenblatt's perceptron.

Data flow of one ``fit``::

    fit -> _callbacks.run_fit (the root callback task; hooks or None)
        -> _fit (_perceptron_fit.py, transactional): validate -> class codes, sample
           and class weights, validation split (_perceptron_data.py)
        -> _perceptron_training.train (epochs of the compiled pass + stopping rules)
        -> _calibration.fit_temperature on held-out scores -> store plain arrays, floats

The weights follow scikit-learn's ``Perceptron`` (``SGDClassifier(loss="perceptron",
learning_rate="constant")``) update for update; see notes/perceptron.md.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from ._calibration import log_probabilities, probabilities
from ._callbacks import CallbackSupportMixin, run_fit
from ._perceptron_data import dense_coef, scores
from ._perceptron_docs import fill_doc
from ._perceptron_fit import PerceptronFitting
from ._persistence import VersionedStateMixin
from ._state import interruptible, transactional
from ._validation import (
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    partial_fit_context,
    validate_input,
)


@fill_doc
class PerceptronClassifier(
    PerceptronFitting, CallbackSupportMixin, VersionedStateMixin, ClassifierMixin,
    BaseEstimator,
):
    """Rosenblatt's perceptron, optionally averaged, with calibrated probabilities.

    A drop-in for :class:`sklearn.linear_model.Perceptron`: the same parameters with the
    same defaults, and, with ``shuffle=False``, the same ``coef_`` and ``intercept_``
    update for update (binary and one-vs-rest multiclass, dense and CSR). It adds the
    averaged perceptron (``average``) and ``predict_proba``. The per-row update loop is
    compiled and visits each row once for all one-vs-rest classes.

    Parameters
    ----------
%(parameters)s

    Attributes
    ----------
%(attributes)s

    See Also
    --------
    sklearn.linear_model.Perceptron : The reference implementation this one matches.

    Notes
    -----
%(notes)s

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skperceptron import PerceptronClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = PerceptronClassifier(random_state=0).fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    >>> proba = clf.predict_proba(X[:2])
    >>> bool((clf.classes_[proba.argmax(1)] == clf.predict(X[:2])).all())
    True
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "warm_start": ["boolean"],
        "average": [Interval(Integral, 0, None, closed="neither"), "boolean"],
    }

    # scikit-learn's convention: every hyperparameter is a keyword argument of __init__.
    def __init__(
        self,
        *,
        penalty=None,
        alpha=0.0001,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        eta0=1.0,
        n_jobs=None,
        random_state=0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        class_weight=None,
        warm_start=False,
        average=False,
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.eta0 = eta0
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.average = average

    # Private switch, read by benchmarks/bench_perceptron.py: False skips recording the
    # held-out scores and fitting the temperature (temperature_ = 1), to time its cost.
    _calibrate = True

    # ------------------------------------------------------------------ public API
    @_fit_context(prefer_skip_nested_validation=True)
    @interruptible
    @transactional  # also around the callbacks: one failing after training fails fit
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the perceptron for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept as float32, sparse input is used as CSR.
        y : array-like of shape (n_samples,)
            Class labels.
        coef_init : ndarray of shape (n_classes, n_features), default=None
            Initial weights (one row for binary problems).
        intercept_init : ndarray of shape (n_classes,), default=None
            Initial intercepts.
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplies the step of each row (times its class weight).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        # Each epoch is a callback task (scikit-learn >= 1.9); run_fit owns the
        # callbacks' teardown, so a transactional snapshot is taken inside it (the
        # fitted state) and one outside it (a failure at the root task's end or in a
        # teardown; run_fit has removed scikit-learn's bookkeeping by then).
        return run_fit(
            self,
            lambda hooks: self._fit(X, y, coef_init, intercept_init, sample_weight, hooks),
            X, y, sample_weight, max_subtasks=self.max_iter,
        )

    @partial_fit_context  # parameters validated on every call
    @interruptible
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over the given rows, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of this batch.
        y : array-like of shape (n_samples,)
            Their labels.
        classes : array-like of shape (n_classes,), default=None
            All classes; required on the first call, optional (and checked) afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplies the step of each row.

        Returns
        -------
        self : object
            Updated estimator.
        """
        return self._partial_fit(X, y, classes, sample_weight)

    def decision_function(self, X):
        """One-vs-rest scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Signed scores; one column (raveled) for binary problems, positive for
            ``classes_[1]``. Never NaN for finite input (an overflowing score is
            ``+-inf``).
        """
        check_is_fitted(self)
        X = validate_input(self, X, reset=False, numpy_only=True)
        # Computed in float64 (overflow-safe); returned in the dtype of X @ coef_.T +
        # intercept_, as scikit-learn's.
        s = scores(X, self.coef_, self.intercept_).astype(
            np.result_type(X.dtype, self.coef_.dtype, self.intercept_.dtype), copy=False
        )
        return s.ravel() if s.shape[1] == 1 else s

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        scores = self.decision_function(X)
        index = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    def predict_proba(self, X):
        """Class probabilities ``link(decision_function(X) / temperature_)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``: ``[1 - p, p]`` with
            ``p = sigmoid(s / temperature_)`` for two classes, ``softmax(s /
            temperature_)`` otherwise. Finite for any finite input.
        """
        return probabilities(self.decision_function(X), self.temperature_)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, accurate where probabilities underflow.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        return log_probabilities(self.decision_function(X), self.temperature_)

    def drop_training_state(self):
        """Drop what only continued training needs, for a compact deployment file.

        With ``average`` the model keeps the last-iterate weights beside the averaged
        ones, so that ``partial_fit`` continues exactly; this drops them and the running
        average. Predictions and probabilities are unchanged; a later ``partial_fit``
        continues from ``coef_`` with the average restarted.

        Returns
        -------
        self : object
            The estimator, for chaining (``joblib.dump(est.drop_training_state(), f)``).
        """
        check_is_fitted(self)
        self._standard_coef = dense_coef(self.coef_)
        self._standard_intercept = self.intercept_
        self._average_coef = self._average_intercept = None
        return self

    def densify(self):
        """Convert ``coef_`` back to a numpy array (a no-op unless :meth:`sparsify` ran).

        Returns
        -------
        self : object
            The estimator.
        """
        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before densifying.")
        self.coef_ = dense_coef(self.coef_)
        return self

    def sparsify(self):
        """Convert ``coef_`` to a CSR matrix, as scikit-learn's linear models do.

        Worth it when most weights are zero (``penalty="l1"``): the matrix and the
        products of ``decision_function`` then cost memory and time in proportion to the
        nonzeros. The scores agree with the dense ones to round-off (the sparse product
        adds in another order). Training continues from the weights either way
        (``partial_fit``, ``warm_start``) and leaves a dense ``coef_``. A model saved
        with skops while sparse also asks to trust SciPy's ``csr_matrix``.

        Returns
        -------
        self : object
            The estimator.
        """
        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before sparsifying.")
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ input
    def _validate_rows(self, X, y, reset):
        # The package's input contract; the compiled pass reads C-ordered rows and
        # 32-bit CSR indices.
        X, y = validate_input(
            self, X, y, reset=reset, order="C", accept_large_sparse=False, numpy_only=True
        )
        check_classification_targets(y)
        return X, y
