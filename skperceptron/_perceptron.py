"""PerceptronClassifier: Rosenblatt's perceptron with averaging and calibrated probabilities.

Data flow of one ``fit``::

    fit -> validate -> encode y as class codes -> init weights (zeros, coef_init, warm start)
        -> _train: epochs of _perceptron_fast.epoch (all one-vs-rest columns in one pass
           over each row) + the stopping rules (tol on the training loss, or early stopping
           on a validation split)
        -> _fit_temperature on held-out scores -> store plain arrays and floats

The weights follow scikit-learn's ``Perceptron`` (``SGDClassifier(loss="perceptron",
learning_rate="constant")``) update for update; see notes/perceptron.md.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit
from sklearn.utils import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from . import _perceptron_fast
from ._base import transactional
from ._persistence import VersionedStateMixin
from ._validation import (
    Interval,
    StrOptions,
    _check_partial_fit_first_call,
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    unique_labels,
    validate_data,
)

# Option string -> the integer code the compiled loop switches on.
PENALTIES = {None: 0, "l1": 1, "l2": 2, "elasticnet": 3}

# scikit-learn damps intercept updates on sparse rows (their intercept "sees" every row
# while each weight sees few); matching it keeps coef_ equal on CSR input.
SPARSE_INTERCEPT_DECAY = 0.01

# Probability calibration: below this many training rows the temperature is fitted on
# cross-fitted (out-of-fold) scores; above it on the training scores of at most
# _CALIBRATION_ROWS rows, where a linear model's train and test score scales agree.
_CV_MAX_SAMPLES = 20_000
_CV_FOLDS = 5
_CALIBRATION_ROWS = 10_000


class PerceptronClassifier(VersionedStateMixin, ClassifierMixin, BaseEstimator):
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
        Seeds the epoch shuffles, the validation split and the calibration folds.
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
        perceptron). An int ``n``: average from the ``n``-th update on.

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
        Temperature of ``predict_proba``: scores divided by their weight norm are divided
        by it before the sigmoid/softmax. Fitted on held-out scores, see Notes.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    sklearn.linear_model.Perceptron : The reference implementation this one matches.

    Notes
    -----
    ``predict_proba`` never contradicts ``predict``. Binary: ``sigmoid(s / tau)`` of the
    decision score ``s``, a monotone map with 1/2 at the boundary. Multiclass: softmax
    of one-vs-rest scores ``/ tau``, scored with the averaged weights tracked during the
    same pass (sharper than the last iterate, at no extra pass); where the averaged
    ranking disagrees with ``predict``, the predicted class is raised to tie the classes
    above it and wins the tie (the Euclidean projection onto "predicted class is the
    argmax"). ``tau`` is fitted by weighted log loss on held-out scores: the validation
    split with ``early_stopping``; else, up to 20,000 rows, 5-fold cross-fitted scores
    (five extra fits on 80% of the data); above that, training scores of a 10,000-row
    subsample; in ``partial_fit``, the batch's scores.

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

    # ------------------------------------------------------------------ public API
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
        return self._fit_public(X, y, coef_init, intercept_init, sample_weight)

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
        return self._partial_fit_public(X, y, classes, sample_weight)

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
            ``classes_[1]``.
        """
        check_is_fitted(self)
        X = self._validate_for_predict(X)
        scores = _scores(X, self.coef_, self.intercept_)
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
        check_is_fitted(self)
        X = self._validate_for_predict(X)
        return self.classes_[_predicted_index(_scores(X, self.coef_, self.intercept_))]

    def predict_proba(self, X):
        """Calibrated class probabilities whose argmax is always ``predict(X)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        check_is_fitted(self)
        X = self._validate_for_predict(X)
        predicted = _predicted_index(_scores(X, self.coef_, self.intercept_))
        z = _scores(X, self._proba_coef, self._proba_intercept) / self._proba_scale
        return _agree_with_prediction(_link(z), predicted)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

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

    # ------------------------------------------------------------------ validation
    def _validate_for_predict(self, X):
        X = validate_data(
            self,
            X,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            reset=False,
        )
        return X

    # A failed call (bad input, overflow) leaves a fitted model as it was: every
    # attribute is restored by the same mechanism as the MLPs'.
    @transactional
    def _fit_public(self, X, y, coef_init, intercept_init, sample_weight):
        self._validate_params()
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            accept_large_sparse=False,
            reset=True,
        )
        check_classification_targets(y)
        classes = unique_labels(y)
        if classes.shape[0] < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got %d class"
                % classes.shape[0]
            )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True,
            allow_all_zero_weights=self.early_stopping,
        )
        class_weight = compute_class_weight(self.class_weight, classes=classes, y=y)
        n_columns = 1 if classes.shape[0] == 2 else classes.shape[0]
        if coef_init is None and self.warm_start and hasattr(self, "coef_"):
            coef_init, intercept_init = self.coef_, self.intercept_
        coef, intercept = _initial_weights(
            coef_init, intercept_init, n_columns, X.shape[1], X.dtype
        )
        return self._fit(
            X, y, classes, sample_weight, class_weight, coef, intercept,
            average_coef=None, average_intercept=None, t=1.0,
            max_iter=self.max_iter, calibrate="held_out",
        )

    @transactional
    def _partial_fit_public(self, X, y, classes, sample_weight):
        first_call = not hasattr(self, "classes_")
        if first_call:
            self._validate_params()
            if self.early_stopping:
                raise ValueError("early_stopping should be False with partial_fit")
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit: compute "
                    "the weights on a representative sample with "
                    "sklearn.utils.compute_class_weight and pass them as a dict."
                )
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            accept_large_sparse=False,
            reset=first_call,
        )
        check_classification_targets(y)
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
            coef, intercept = _initial_weights(None, None, n_columns, X.shape[1], X.dtype)
            average_coef = average_intercept = None
            t = 1.0
        else:
            coef, intercept = self._standard_coef, self._standard_intercept
            average_coef, average_intercept = self._average_coef, self._average_intercept
            t = self.t_
            # Later batches follow the dtype the weights were created with.
            X = X.astype(coef.dtype, copy=False)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        class_weight = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        return self._fit(
            X, y, self.classes_, sample_weight, class_weight, coef, intercept,
            average_coef=average_coef, average_intercept=average_intercept, t=t,
            max_iter=1, calibrate="in_sample",
        )

    # ------------------------------------------------------------------ training
    def _fit(
        self, X, y, classes, sample_weight, class_weight, coef, intercept,
        *, average_coef, average_intercept, t, max_iter, calibrate,
    ):
        """Train on clean arrays, fit the temperature, then store the fitted state."""
        y_code = np.searchsorted(classes, y).astype(np.intp)
        validation = self._validation_mask(y, sample_weight)
        result = self._train(
            X, y_code, sample_weight, class_weight, coef, intercept,
            average_coef, average_intercept, t, max_iter, validation,
        )
        proba_coef, proba_intercept = result["proba_coef"], result["proba_intercept"]
        if calibrate == "held_out" and validation.any():
            scores, code, weight = self._held_out_by_validation(
                X, y_code, sample_weight, validation, proba_coef, proba_intercept
            )
        elif (
            calibrate == "held_out"
            and not result["interrupted"]  # Ctrl-C: no five more fits
            and _can_cross_fit(y_code, len(classes))
        ):
            scores, code, weight = self._held_out_by_cross_fitting(
                X, y_code, sample_weight, class_weight, proba_coef.shape[0]
            )
        else:
            scores, code, weight = self._in_sample_scores(
                X, y_code, sample_weight, proba_coef, proba_intercept
            )
        temperature = _fit_temperature(scores, code, weight)

        if self.tol is not None and max_iter > 1 and result["n_iter"] == max_iter:
            warnings.warn(
                "Maximum number of iteration reached before convergence. Consider "
                "increasing max_iter to improve the fit.",
                ConvergenceWarning,
            )
        self.classes_ = classes
        self.coef_ = result["coef"]
        self.intercept_ = result["intercept"]
        self.n_iter_ = result["n_iter"]
        self.t_ = result["t"]
        self.temperature_ = float(temperature)
        self._standard_coef = result["standard_coef"]
        self._standard_intercept = result["standard_intercept"]
        self._average_coef = result["average_coef"]
        self._average_intercept = result["average_intercept"]
        self._proba_coef = proba_coef
        self._proba_intercept = proba_intercept
        self._proba_scale = float(temperature * _score_norm(proba_coef, proba_intercept))
        return self

    def _validation_mask(self, y, sample_weight):
        mask = np.zeros(y.shape[0], dtype=bool)
        if not self.early_stopping:
            return mask
        splitter = StratifiedShuffleSplit(
            test_size=self.validation_fraction, random_state=self.random_state
        )
        idx_train, idx_val = next(splitter.split(np.zeros((y.shape[0], 1)), y))
        if idx_train.shape[0] == 0 or idx_val.shape[0] == 0:
            raise ValueError(
                f"Splitting {y.shape[0]} samples with validation_fraction="
                f"{self.validation_fraction} left an empty training or validation set; "
                "change validation_fraction, add samples or disable early_stopping."
            )
        if not np.any(sample_weight[idx_val] > 0):
            raise ValueError(
                "The sample weights for validation set are all zero, consider using a"
                " different random state."
            )
        mask[idx_val] = True
        return mask

    def _train(
        self, X, y_code, sample_weight, class_weight, coef, intercept,
        average_coef, average_intercept, t, max_iter, validation,
    ):
        """Epoch loop around the compiled pass; returns the new weights as plain arrays.

        ``coef``/``intercept`` (and the averages) are copied, never written, so that an
        error part-way leaves the estimator's arrays untouched.
        """
        dtype = coef.dtype
        n_columns, n_features = coef.shape
        binary = n_columns == 1
        penalty = PENALTIES[self.penalty]
        # Averages are tracked when asked for, and always in multiclass, where the
        # averaged scores feed predict_proba (see Notes in the class docstring). Asked-for
        # averages follow scikit-learn's ASGD recurrence (O(n_features) per row, exact);
        # the proba-only average without a penalty is summed lazily instead: the kernel
        # records t * step per updated row (O(1)), and _lazy_average forms the mean
        # with one matrix product after the epochs.
        lazy = not self.average and not binary and penalty == 0
        average_start = (
            float(self.average) if self.average else (0.0 if binary or lazy else 1.0)
        )
        averaging = average_start > 0

        W = np.ascontiguousarray(coef.T, dtype=dtype)  # (n_features, n_columns): see pyx
        b = np.array(intercept, dtype=np.float64)
        if averaging and average_coef is not None:
            AW = np.ascontiguousarray(average_coef.T, dtype=dtype)
            ab = np.array(average_intercept, dtype=np.float64)
        else:
            AW = np.zeros_like(W) if averaging else np.zeros((0, n_columns), dtype)
            ab = np.zeros(n_columns)
        if lazy:
            W_start, b_start = W.copy(), b.copy()
            G = np.zeros((X.shape[0], n_columns))
            Gb = np.zeros(n_columns)
            t_stop = np.zeros(n_columns)
        else:
            G, Gb = np.zeros((0, n_columns)), np.zeros(n_columns)
        Q = np.zeros_like(W) if penalty in (1, 3) else np.zeros((0, n_columns), dtype)
        state = np.zeros((_perceptron_fast.N_STATE, n_columns))
        state[0] = 1.0  # wscale
        state[2] = 1.0  # average_b
        state[3] = np.einsum("jk,jk->k", W, W, dtype=np.float64)
        state[4] = np.abs(W).sum(axis=0, dtype=np.float64)

        if sp.issparse(X):
            dense = np.zeros((0, 0), dtype=dtype)
            data, indices, indptr = X.data, X.indices, X.indptr
            intercept_decay = SPARSE_INTERCEPT_DECAY
        else:
            dense = X
            data = np.zeros(0, dtype=dtype)
            indices = indptr = np.zeros(0, dtype=np.intc)
            intercept_decay = 1.0
        if binary:
            pos_weight = np.array([class_weight[1]], dtype=dtype)
            neg_weight = np.array([class_weight[0]], dtype=dtype)
        else:
            # scikit-learn's one-vs-rest weights a class's own rows only.
            pos_weight = np.asarray(class_weight, dtype=dtype)
            neg_weight = np.ones(n_columns, dtype=dtype)

        # Columns that share a row order are updated in one pass. scikit-learn shuffles
        # each one-vs-rest class with its own seed; with shuffle=True each class is
        # therefore its own group (and gets scikit-learn's exact order), while with
        # shuffle=False all classes share one pass over each row.
        if self.shuffle:
            groups = [[k] for k in range(n_columns)]
            seeds = _sklearn_shuffle_seeds(self.random_state, n_columns)
        else:
            groups, seeds = [list(range(n_columns))], [None]
        n_iter = 0
        interrupted = False
        for cols, seed in zip(groups, seeds):
            if interrupted:  # Ctrl-C: the remaining groups keep their start weights
                break
            if len(cols) == n_columns:
                group_codes, group_binary = y_code, binary
            else:  # one class against the rest, coded as a binary problem
                group_codes, group_binary = (y_code == cols[0]).astype(np.intp), True
            arrays = [W, AW, Q]
            sub = [np.ascontiguousarray(a[:, cols]) if a.shape[0] else a[:, cols]
                   for a in arrays]
            vecs = [b[cols], ab[cols], state[:, cols].copy()]
            lazy_sums = [np.ascontiguousarray(G[:, cols]), Gb[cols]]
            group_iter, group_stop, interrupted = self._epochs(
                X, dense, data, indices, indptr, group_codes, group_binary,
                sample_weight, validation, pos_weight[cols], neg_weight[cols],
                *sub, *vecs, t, max_iter, penalty, intercept_decay, average_start,
                seed, *lazy_sums,
            )
            _perceptron_fast.finish(sub[0], sub[1], vecs[2], averaging)
            for full, part in zip(arrays, sub):
                if full.shape[0]:
                    full[:, cols] = part
            b[cols], ab[cols] = vecs[0], vecs[1]
            if lazy:
                G[:, cols], Gb[cols], t_stop[cols] = lazy_sums[0], lazy_sums[1], group_stop
            n_iter = max(n_iter, group_iter)
        t_start = t
        if lazy:
            AW, ab = _lazy_average(
                X, G, Gb, W_start, b_start, W, b, t_start, t_stop, average_coef,
                average_intercept,
            )
            AW = AW.astype(dtype, copy=False)
            averaging = True

        t_final = t_start + n_iter * X.shape[0]
        standard_coef = np.ascontiguousarray(W.T)
        standard_intercept = b.astype(dtype if not binary else np.float64)
        average_coef = np.ascontiguousarray(AW.T) if averaging else None
        average_intercept = ab.astype(standard_intercept.dtype) if averaging else None
        if self.average and self.average <= t_final - 1:
            coef, intercept = average_coef, average_intercept
        else:
            coef, intercept = standard_coef, standard_intercept
        if averaging:
            proba_coef, proba_intercept = average_coef, average_intercept
        else:
            proba_coef, proba_intercept = coef, intercept
        return dict(
            # The same array objects where the weights coincide (coef_ is the standard or
            # the averaged vector; proba uses one of them): a pickle stores them once.
            coef=coef, intercept=intercept, n_iter=n_iter, t=t_final,
            standard_coef=standard_coef, standard_intercept=standard_intercept,
            average_coef=average_coef, average_intercept=average_intercept,
            proba_coef=proba_coef, proba_intercept=proba_intercept,
            interrupted=interrupted,
        )

    def _epochs(
        self, X, dense, data, indices, indptr, y_code, binary, sample_weight,
        validation, pos_weight, neg_weight, W, AW, Q, b, ab, state, t, max_iter,
        penalty, intercept_decay, average_start, seed, G, Gb,
    ):
        """Epochs of one group of columns with the stopping rules.

        Returns the number of epochs and, per column, the update counter at which it
        stopped (the end of its last epoch).
        """
        n_columns = W.shape[1]
        everything = np.arange(X.shape[0], dtype=np.intp)
        order = everything[~validation]
        n_train = order.shape[0]
        active = np.ones(n_columns, dtype=np.uint8)
        objective = np.zeros(n_columns)
        best = np.full(n_columns, np.inf)  # best loss, or minus best validation score
        no_improvement = np.zeros(n_columns, dtype=int)
        tol = self.tol if self.tol is not None else -np.inf
        need_objective = bool(self.verbose) or (
            self.tol is not None and not self.early_stopping
        )
        t_stop = np.full(n_columns, t)
        n_iter = 0
        interrupted = False
        for epoch in range(max_iter):
            try:
                if seed is not None:
                    # scikit-learn permutes all rows (validation ones included) with the
                    # same seed before each epoch, then skips the validation rows.
                    _perceptron_fast.shuffle(everything, seed)
                    order = everything[~validation[everything]]
                objective[:] = 0.0
                t = _perceptron_fast.epoch(
                    dense, data, indices, indptr, order, y_code, sample_weight,
                    pos_weight, neg_weight, W, b, AW, ab, Q, state, active, objective,
                    t, binary, penalty, self.alpha, self.l1_ratio, self.eta0,
                    self.fit_intercept, intercept_decay, average_start, need_objective,
                    G, Gb,
                )
            except KeyboardInterrupt:
                # Ctrl-C stops training cleanly: the weights reached so far are kept
                # (the kernel updates them in place, so they are always consistent).
                warnings.warn(
                    "Training interrupted by user; keeping the weights reached so far.",
                    UserWarning,
                )
                interrupted = True
                break
            n_iter = epoch + 1
            if not (np.isfinite(b).all() and np.isfinite(W).all()):
                raise ValueError(
                    f"Floating-point under-/overflow occurred at epoch #{n_iter}. "
                    "Scaling input data with StandardScaler or MinMaxScaler might help."
                )
            if self.early_stopping:
                current = -self._validation_accuracy(
                    X, y_code, binary, sample_weight, validation, W * state[0], b
                )
            else:
                current = objective / n_train
            if self.verbose:
                print(f"-- Epoch {n_iter}: " + ", ".join(
                    f"{'val. score' if self.early_stopping else 'avg. loss'}[{k}]="
                    f"{abs(current[k]):.6f}" for k in np.flatnonzero(active)))
            worse = current > best - tol
            no_improvement = np.where(worse, no_improvement + 1, 0)
            best = np.minimum(best, current)
            stop = active.astype(bool) & (no_improvement >= self.n_iter_no_change)
            active[stop] = 0
            t_stop[stop] = t
            if self.verbose and stop.any():
                print(f"Convergence after {n_iter} epochs.")
            if not active.any():
                break
        t_stop[active.astype(bool)] = t
        return n_iter, t_stop, interrupted

    @staticmethod
    def _validation_accuracy(X, y_code, binary, sample_weight, validation, W, b):
        # Per one-vs-rest column: weighted accuracy of "score > 0" on the held-out rows.
        scores = _scores(X[validation], W.T, b)
        code = y_code[validation]
        if binary:
            truth = (code == 1)[:, None]
        else:
            truth = code[:, None] == np.arange(scores.shape[1])[None, :]
        correct = (scores > 0) == truth
        return np.average(correct, axis=0, weights=sample_weight[validation])

    # ------------------------------------------------------------------ calibration
    @staticmethod
    def _held_out_by_validation(X, y_code, sample_weight, validation, coef, intercept):
        scores = _scores(X[validation], coef, intercept) / _score_norm(coef, intercept)
        return scores, y_code[validation], sample_weight[validation]

    def _held_out_by_cross_fitting(
        self, X, y_code, sample_weight, class_weight, n_columns
    ):
        # Five extra fits on 80% each, every row scored by the model that did not see
        # it; scores are divided by each model's weight norm so that the temperature
        # transfers to the full model, whose weights are longer.
        n_folds = min(_CV_FOLDS, int(np.bincount(y_code).min()))
        folds = StratifiedKFold(n_folds, shuffle=True, random_state=0)
        scores = np.zeros((X.shape[0], n_columns))
        no_validation = np.zeros(X.shape[0], dtype=bool)
        for train, test in folds.split(np.zeros((X.shape[0], 1)), y_code):
            coef, intercept = _initial_weights(None, None, n_columns, X.shape[1], X.dtype)
            fold = self._train(
                X[train], y_code[train], sample_weight[train], class_weight, coef,
                intercept, None, None, 1.0, self.max_iter, no_validation[train],
            )
            pc, pi = fold["proba_coef"], fold["proba_intercept"]
            scores[test] = _scores(X[test], pc, pi) / _score_norm(pc, pi)
        return scores, y_code, sample_weight

    def _in_sample_scores(self, X, y_code, sample_weight, coef, intercept):
        rows = np.arange(X.shape[0])
        if rows.shape[0] > _CALIBRATION_ROWS:
            rows = np.sort(
                check_random_state(self.random_state).choice(
                    rows, _CALIBRATION_ROWS, replace=False
                )
            )
        scores = _scores(X[rows], coef, intercept) / _score_norm(coef, intercept)
        return scores, y_code[rows], sample_weight[rows]


# ---------------------------------------------------------------------- helpers
def _sklearn_shuffle_seeds(random_state, n_columns):
    """The per-class seeds scikit-learn's SGD derives from ``random_state``."""
    max_int = np.iinfo(np.int32).max
    rng = check_random_state(random_state)
    if n_columns > 1:
        class_rngs = [check_random_state(s) for s in rng.randint(max_int, size=n_columns)]
    else:
        class_rngs = [rng]
    seeds = []
    for class_rng in class_rngs:
        class_rng.randint(1, max_int)  # drawn for the dataset object, unused for order
        seeds.append(int(class_rng.randint(max_int)))
    return seeds


def _lazy_average(X, G, Gb, W_start, b_start, W_end, b_end, t_start, t_stop,
                  previous_coef, previous_intercept):
    """Mean of the weights over all steps, from the kernel's lazy sums.

    The weights after step ``s`` are ``w_start`` plus the updates ``u_r = c_r x_r`` of
    steps ``r <= s``. Over the steps ``t_start .. t_stop - 1`` of this call, an update at
    step ``r`` is present ``t_stop - r`` times, so the sum of the weights is
    ``N w_start + t_stop (w_end - w_start) - sum_r r u_r`` with ``N = t_stop - t_start``,
    and ``sum_r r u_r = X.T @ G`` (``G[i, k]`` = sum of ``r c_r`` over row i's updates).
    The previous calls' mean (over ``t_start - 1`` steps) is folded in by its count.
    Returns ``(average_W, average_b)`` in the kernel's ``(n_features, n_columns)`` layout.
    """
    n_steps = t_stop - t_start
    total_w = n_steps * W_start + t_stop * (W_end - W_start) - np.asarray(X.T @ G)
    total_b = n_steps * b_start + t_stop * (b_end - b_start) - Gb
    if previous_coef is not None and t_start > 1:
        total_w += (t_start - 1) * previous_coef.T
        total_b += (t_start - 1) * previous_intercept
    count = np.maximum(t_stop - 1, 1.0)
    return total_w / count, total_b / count


def _initial_weights(coef_init, intercept_init, n_columns, n_features, dtype):
    if coef_init is None:
        coef = np.zeros((n_columns, n_features), dtype=dtype)
    else:
        coef = np.array(coef_init, dtype=dtype, order="C").reshape(-1, n_features)
        if coef.shape != (n_columns, n_features):
            raise ValueError(
                f"coef_init has shape {np.shape(coef_init)}; expected "
                f"{(n_columns, n_features)}."
            )
    if intercept_init is None:
        intercept = np.zeros(n_columns, dtype=np.float64)
    else:
        intercept = np.array(intercept_init, dtype=np.float64).reshape(-1)
        if intercept.shape != (n_columns,):
            raise ValueError(
                f"intercept_init has shape {np.shape(intercept_init)}; expected "
                f"({n_columns},)."
            )
    return coef, intercept


def _scores(X, coef, intercept):
    """Decision scores ``X @ coef.T + intercept`` as a 2-D float64 array."""
    scores = X @ coef.T
    return np.asarray(scores, dtype=np.float64) + intercept


def _predicted_index(scores):
    if scores.shape[1] == 1:
        return (scores[:, 0] > 0).astype(np.intp)
    return scores.argmax(axis=1)


def _score_norm(coef, intercept):
    # Root-mean-square length of the columns' [w, b]: one number for all columns, so
    # dividing by it keeps the ranking of classes; 1 for an all-zero model.
    norm = np.sqrt((np.sum(np.square(coef, dtype=np.float64)) + np.sum(
        np.square(intercept, dtype=np.float64))) / coef.shape[0])
    return norm if norm > 0 else 1.0


def _link(z):
    """Probabilities from temperature-scaled scores: sigmoid (binary) or softmax."""
    if z.shape[1] == 1:
        return np.hstack([expit(-z), expit(z)])
    return softmax(z, axis=1)


def _can_cross_fit(y_code, n_classes):
    counts = np.bincount(y_code, minlength=n_classes)
    return y_code.shape[0] <= _CV_MAX_SAMPLES and counts.min() >= 2


def _fit_temperature(scores, code, weight):
    """Temperature minimising the weighted log loss of ``_link(scores / T)``."""
    if scores.shape[1] == 1:
        signed = np.where(code == 1, 1.0, -1.0) * scores[:, 0]

        def loss(log_t):
            return np.logaddexp(0.0, -signed * np.exp(-log_t))
    else:
        rows = np.arange(scores.shape[0])

        def loss(log_t):
            return -log_softmax(scores * np.exp(-log_t), axis=1)[rows, code]

    total = weight.sum()
    if not np.any(scores) or total <= 0:
        return 1.0

    def mean_loss(log_t):
        return float(np.dot(weight, loss(log_t)) / total)

    result = minimize_scalar(mean_loss, bounds=(-12.0, 12.0), method="bounded")
    return float(np.exp(result.x))


def _agree_with_prediction(proba, predicted):
    """Make ``argmax(proba) == predicted`` on every row, moving as little as possible.

    Where another class has at least the predicted class's probability, the predicted
    class and the classes above it are levelled to their common mean (the Euclidean
    projection onto "the predicted class is largest"); the others in the tie are then
    nudged down by a relative 2**-40 so the predicted class wins argmax, which also
    settles ties that rounding creates when distinct scores saturate.
    """
    n_classes = proba.shape[1]
    wrong = np.flatnonzero(proba.argmax(axis=1) != predicted)
    if wrong.size == 0:
        return proba
    P = proba[wrong]
    r = np.arange(wrong.size)
    k = predicted[wrong]
    own = P[r, k]
    others = P.copy()
    others[r, k] = -np.inf
    ranked = -np.sort(-others, axis=1)[:, : n_classes - 1]  # competitors, descending
    m = np.arange(1, n_classes)
    level = (own[:, None] + np.cumsum(ranked, axis=1)) / (m + 1)
    following = np.hstack([ranked[:, 1:], np.full((wrong.size, 1), -np.inf)])
    first_ok = np.argmax(level >= following, axis=1)
    L = level[r, first_ok][:, None]
    lowered = np.where(others >= L * (1 - 2.0**-30), L * (1 - 2.0**-40), P)
    lowered[r, k] = L[:, 0]
    proba = proba.copy()
    proba[wrong] = lowered / lowered.sum(axis=1, keepdims=True)
    return proba
