"""PerceptronClassifier: the estimator API of Rosenblatt's perceptron.

Data flow of one ``fit``::

    fit -> validate -> class codes, sample and class weights, validation split
        -> _perceptron_training.train (epochs of the compiled pass + stopping rules)
        -> _calibration.fit_temperature on held-out scores -> store plain arrays, floats

The weights follow scikit-learn's ``Perceptron`` (``SGDClassifier(loss="perceptron",
learning_rate="constant")``) update for update; see notes/perceptron.md.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from . import _perceptron_training as training
from ._callbacks import CallbackSupportMixin, run_fit
from ._calibration import fit_temperature, log_probabilities, probabilities
from ._persistence import VersionedStateMixin
from ._state import transactional
from ._validation import (
    Interval,
    StrOptions,
    _check_partial_fit_first_call,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    unique_labels,
    validate_data,
)


class PerceptronClassifier(
    CallbackSupportMixin, VersionedStateMixin, ClassifierMixin, BaseEstimator
):
    """Rosenblatt's perceptron, optionally averaged, with calibrated probabilities.

    A drop-in for :class:`sklearn.linear_model.Perceptron`: the same parameters with the
    same defaults, and, with ``shuffle=False``, the same ``coef_`` and ``intercept_``
    update for update (binary and one-vs-rest multiclass, dense and CSR). It adds the
    averaged perceptron (``average``) and ``predict_proba``. The per-row update loop is
    compiled and visits each row once for all one-vs-rest classes.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet'}, default=None
        Regularisation applied at each update (weight decay for L2, truncated gradient
        for L1).
    alpha : float, default=0.0001
        Strength of the penalty.
    l1_ratio : float, default=0.15
        Elastic-net mixing, ``0 <= l1_ratio <= 1``; only used with ``'elasticnet'``.
    fit_intercept : bool, default=True
        Whether to learn an intercept.
    max_iter : int, default=1000
        Maximum number of epochs of :meth:`fit` (``partial_fit`` runs one).
    tol : float or None, default=1e-3
        Stop a class when its mean training loss has not dropped by ``tol`` for
        ``n_iter_no_change`` epochs (validation accuracy with ``early_stopping``).
        None trains for ``max_iter`` epochs.
    shuffle : bool, default=True
        Whether to shuffle the training rows before each epoch.
    verbose : int, default=0
        Print per-epoch progress when positive.
    eta0 : float, default=1.0
        Step size of each update.
    n_jobs : int, default=None
        Accepted for compatibility. The compiled loop updates all classes in one pass,
        so there is nothing to run in parallel; it is ignored.
    random_state : int, RandomState instance or None, default=0
        Seeds the epoch shuffles and the validation split.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified) and stop a class when
        its validation accuracy stops improving by ``tol``.
    validation_fraction : float, default=0.1
        Fraction of rows held out for early stopping.
    n_iter_no_change : int, default=5
        Epochs without improvement tolerated before stopping.
    class_weight : dict, 'balanced' or None, default=None
        Multiplies the step of rows of each class. In one-vs-rest (more than two classes)
        each class's weight applies to its own positive rows only, as in scikit-learn.
    warm_start : bool, default=False
        Start :meth:`fit` from the previous ``coef_`` and ``intercept_``.
    average : bool or int, default=False
        True: ``coef_`` is the average of the weights over all updates (averaged
        perceptron). An int ``n``: average from the ``n``-th update on; until ``n``
        updates have been made, ``coef_`` is the last weights (as scikit-learn's).
        Averaged weights usually give better-calibrated probabilities.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; one row for binary problems.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    n_iter_ : int
        Epochs run by the last call (the maximum over one-vs-rest classes).
    t_ : float
        Number of updates plus one, ``1 + n_iter_ * n_samples`` after one ``fit``.
    temperature_ : float
        Temperature of ``predict_proba``, which is exactly
        ``link(decision_function(X) / temperature_)``: sigmoid for binary, softmax for
        multiclass problems. Fitted on held-out scores, see Notes.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    sklearn.linear_model.Perceptron : The reference implementation this one matches.

    Notes
    -----
    ``predict``, ``decision_function`` and ``predict_proba`` are functions of one score
    ``s = decision_function(X)``: ``predict_proba`` is ``[1 - p, p]`` with
    ``p = sigmoid(s / T)`` for two classes and ``softmax(s / T)`` over the one-vs-rest
    scores otherwise, so its argmax is ``predict`` wherever the probabilities differ.
    ``T`` (``temperature_``) minimises the weighted log loss of held-out scores, found
    without any extra fit: the validation split with ``early_stopping``; else, for the
    last weights, the progressive-validation scores of the last epoch (each row scored
    by the weights just before its own update, which training computes anyway); for
    averaged weights, the training rows scored by the average. ``partial_fit`` refits
    ``T`` on its batch and pools it with the previous value by row count.
    A Ctrl-C during ``fit`` or ``partial_fit`` keeps the model of the last completed
    epoch (every column from that epoch), or the previous model if no epoch completed,
    with a warning saying which.

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
        # callbacks' teardown, so the transactional snapshot is taken inside it.
        return run_fit(
            self,
            lambda hooks: self._fit(X, y, coef_init, intercept_init, sample_weight, hooks),
            X, y, sample_weight, max_subtasks=self.max_iter,
        )

    # A failed call (bad input, overflow, a failing callback) leaves a fitted model as
    # it was: every attribute is restored by the same mechanism as the MLPs'.
    @transactional
    def _fit(self, X, y, coef_init, intercept_init, sample_weight, hooks):
        previous = dict(self.__dict__)
        X, y = self._validate_rows(X, y, reset=True)
        classes = np.unique(y)  # check_classification_targets has checked the labels
        if classes.shape[0] < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got %d class"
                % classes.shape[0]
            )
        warm = coef_init is None and self.warm_start and hasattr(self, "coef_")
        if warm and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start=True needs the classes of the fitted model "
                f"{self.classes_.tolist()}, but y has classes {classes.tolist()}; set "
                "warm_start=False to fit a new model."
            )
        if warm:
            coef_init, intercept_init = self.coef_, self.intercept_
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True,
            allow_all_zero_weights=self.early_stopping,
        )
        n_columns = 1 if classes.shape[0] == 2 else classes.shape[0]
        coef, intercept = training.initial_weights(
            coef_init, intercept_init, n_columns, X.shape[1], X.dtype
        )
        start = training.Start(coef, intercept,
                               total_epochs=getattr(self, "_total_epochs", 0) if warm else 0)
        validation = training.validation_mask(y, sample_weight, self.early_stopping,
                                              self.validation_fraction, self.random_state)
        return self._train(X, y, classes, sample_weight, start, validation, previous,
                           hooks=hooks)

    @transactional
    @_fit_context(prefer_skip_nested_validation=True)
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
        previous = dict(self.__dict__)
        first_call = not hasattr(self, "classes_")
        if first_call and self.early_stopping:
            raise ValueError("early_stopping should be False with partial_fit")
        if first_call and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: compute "
                "the weights on a representative sample with "
                "sklearn.utils.compute_class_weight and pass them as a dict."
            )
        X, y = self._validate_rows(X, y, reset=first_call)
        _check_partial_fit_first_call(self, classes)
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()} not in classes "
                f"{self.classes_.tolist()} given on the first call."
            )
        if self.classes_.shape[0] < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got %d class"
                % self.classes_.shape[0]
            )
        n_columns = 1 if self.classes_.shape[0] == 2 else self.classes_.shape[0]
        if first_call:
            coef, intercept = training.initial_weights(None, None, n_columns, X.shape[1], X.dtype)
            start = training.Start(coef, intercept)
        else:
            start = training.Start(
                self._standard_coef, self._standard_intercept, self._average_coef,
                self._average_intercept, self.t_, self._total_epochs,
            )
            X = X.astype(start.coef.dtype, copy=False)  # the weights' dtype rules
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        validation = np.zeros(X.shape[0], dtype=bool)
        return self._train(X, y, self.classes_, sample_weight, start, validation, previous,
                           online=True)

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
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                          reset=False)
        scores = training.scores(X, self.coef_, self.intercept_)
        return scores.ravel() if scores.shape[1] == 1 else scores

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
        self._standard_coef, self._standard_intercept = self.coef_, self.intercept_
        self._average_coef = self._average_intercept = None
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ steps of fit
    def _validate_rows(self, X, y, reset):
        X, y = validate_data(self, X, y, accept_sparse="csr", reset=reset,
                             dtype=[np.float64, np.float32], order="C",
                             accept_large_sparse=False)
        check_classification_targets(y)
        return X, y

    def _settings(self, max_iter):
        names = ("penalty", "alpha", "l1_ratio", "fit_intercept", "tol", "shuffle",
                 "verbose", "eta0", "random_state", "early_stopping", "n_iter_no_change",
                 "average")
        return training.Settings(max_iter=max_iter, **{n: getattr(self, n) for n in names})

    def _train(self, X, y, classes, sample_weight, start, validation, previous,
               online=False, hooks=None):
        """Train, fit the temperature, store; or keep ``previous`` on an early Ctrl-C."""
        if self.class_weight is None:
            class_weight = np.ones(classes.shape[0])
        else:
            class_weight = compute_class_weight(self.class_weight, classes=classes, y=y)
        y_code = np.searchsorted(classes, y).astype(np.intp)
        rows = training.make_rows(X, y_code, sample_weight, validation)
        max_iter = 1 if online else self.max_iter
        result = training.train(rows, class_weight, start, self._settings(max_iter),
                                hooks=hooks, record_margins=self._calibrate)
        if result.interrupted and result.n_iter == 0:
            self.__dict__.clear()
            self.__dict__.update(previous)
            kept = "the previous fitted model is kept" if "coef_" in previous else \
                "the estimator stays unfitted"
            warnings.warn(f"Training interrupted by user before the first epoch "
                          f"completed; {kept}.", UserWarning)
            return self
        if not (np.isfinite(result.coef).all() and np.isfinite(result.intercept).all()):
            raise ValueError(training.OVERFLOW_MESSAGE.format(result.n_iter))
        if result.interrupted:
            warnings.warn(f"Training interrupted by user; keeping the model after epoch "
                          f"{result.n_iter}, the last completed one (every class from "
                          "that epoch).", UserWarning)
        elif (self.tol is not None and max_iter > 1 and result.n_iter == max_iter
              and not result.stopped_by_hook):
            warnings.warn("Maximum number of iteration reached before convergence. "
                          "Consider increasing max_iter to improve the fit.",
                          ConvergenceWarning)
        self._store(classes, result, self._temperature(result, rows, online))
        return self

    def _temperature(self, result, rows, online):
        """``(temperature, rows behind it)``; ``partial_fit`` pools with the previous."""
        if not self._calibrate:
            return 1.0, 0
        scores, codes, weights = training.held_out_scores(result, rows)
        temperature, count = fit_temperature(scores, codes, weights), codes.shape[0]
        previous = getattr(self, "_calibration_rows", 0) if online else 0
        if previous:
            # Running estimate in log T, the older rows capped so that T follows the
            # growing weights.
            old = min(previous, training.CALIBRATION_ROWS)
            temperature = float(np.exp((old * np.log(self.temperature_) + count * np.log(
                temperature)) / (old + count)))
        return temperature, previous + count

    def _store(self, classes, result, calibration):
        self.classes_ = classes
        self.coef_ = result.coef
        self.intercept_ = result.intercept
        self.n_iter_ = result.n_iter
        self.t_ = result.t
        self.temperature_ = float(calibration[0])
        self._calibration_rows = int(calibration[1])
        self._total_epochs = int(result.total_epochs)
        self._standard_coef = result.standard_coef
        self._standard_intercept = result.standard_intercept
        self._average_coef = result.average_coef
        self._average_intercept = result.average_intercept
