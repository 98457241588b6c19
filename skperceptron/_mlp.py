"""MLPClassifier and MLPRegressor: target encoding, prediction, tags and docs.

The training machinery lives in ``_base`` (steps), ``_network`` (objective),
``_solvers`` and ``_optimizers``; this module holds only what differs between
classification and regression.
"""


import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ._base import BaseMultilayerPerceptron
from ._options import CLASSIFIER_CONSTRAINTS, REGRESSOR_CONSTRAINTS, STOCHASTIC_SOLVERS
from ._state import store_init_params
from ._validation import _fit_context, type_of_target, unique_labels


def _stochastic_solver(estimator):
    # partial_fit exists only for minibatch solvers (hasattr is False for lbfgs).
    return estimator.solver in STOCHASTIC_SOLVERS


_SHARED_PARAMETERS = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or int, default=(100,)
        The ith element is the number of neurons in the ith hidden layer. An empty
        tuple gives a network with no hidden layer (a generalised linear model).

    activation : str or list of str, default='relu'
        Activation function of the hidden layers, or one per hidden layer. scikit-learn's
        'identity', 'logistic', 'tanh', 'relu', plus 'leaky_relu' (slope 0.01),
        'elu', 'softplus', 'gelu' (exact, erf-based) and 'silu'.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The solver for weight optimization. 'lbfgs' is scipy's quasi-Newton L-BFGS-B
        on the full batch; 'sgd' is minibatch stochastic gradient descent; 'adam' is
        the minibatch optimizer of Kingma and Ba. 'adam' works well on large data
        sets; on small ones 'lbfgs' often converges faster and better.

    alpha : float, default=0.0001
        Strength of the L2 penalty ``alpha / 2 * ||W||^2`` on the weights (not the
        intercepts), divided by the sum of sample weights of the batch.

    batch_size : int or 'auto', default='auto'
        Minibatch size of the stochastic solvers; 'auto' is ``min(200, n_samples)``.
        Ignored by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, default='constant'
        Learning-rate schedule: constant ``learning_rate_init``; for 'sgd' only (as in
        scikit-learn) ``learning_rate_init / (t + 1) ** power_t`` after each epoch with
        ``t`` the number of samples seen, or divided by 5 each time the
        no-improvement criterion fires (training stops when it would fall below
        1e-6); for 'sgd' and 'adam', 'cosine' anneals the rate to 0 along a half
        cosine over ``max_iter`` epochs of steps.

    learning_rate_init : float, default=0.001
        Initial step size of 'sgd' and 'adam'.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of iterations: epochs for 'sgd'/'adam', L-BFGS iterations for
        'lbfgs'.

    shuffle : bool, default=True
        Whether to shuffle the samples at each epoch ('sgd', 'adam').

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the early-stopping split and the per-epoch
        shuffles. The same integer gives bitwise-identical results, and the same
        initial weights as scikit-learn's MLP.

    tol : float, default=1e-4
        Training stops when the loss (or validation score with early stopping) does
        not improve by at least ``tol`` for ``n_iter_no_change`` consecutive epochs.
        For 'lbfgs' it is the projected-gradient tolerance.

    verbose : bool, default=False
        Print the loss at each iteration.

    warm_start : bool, default=False
        Reuse the previous solution as initialization of the next ``fit``.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        single-label classification) and stop when the validation score stops
        improving; the weights of the best epoch are restored. 'sgd' and 'adam' only.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int or np.inf, default=10
        Number of epochs without ``tol`` improvement before stopping; ``np.inf``
        disables the criterion.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    dropout : float or list of float, default=0.0
        Inverted-dropout rate of the hidden layers' outputs during training ('sgd',
        'adam'), one rate for all hidden layers or one per layer, in [0, 1).
        Prediction is deterministic; masks are reproducible with ``random_state``.

    weight_decay : float, default=0.0
        Decoupled weight decay ('sgd', 'adam'; with 'adam' this is AdamW): each step
        shrinks the weights by ``learning_rate * weight_decay`` independently of the
        gradient. Distinct from ``alpha``, which adds an L2 term to the loss.

    learning_rate_warmup : int, default=0
        Number of epochs of linear learning-rate warm-up ('sgd', 'adam'), multiplying
        any schedule.

    max_grad_norm : float or None, default=None
        Rescale each minibatch gradient to at most this global L2 norm ('sgd',
        'adam').

    weight_init : {'glorot_uniform', 'he_uniform', 'he_normal', 'lecun_normal'}, \
            default='glorot_uniform'
        Initial weights. 'glorot_uniform' is scikit-learn's scheme (same draws for
        the same ``random_state``); the others draw weights from He's or LeCun's
        distributions with zero intercepts.

    scoring : str, callable or None, default=None
        Validation score for early stopping: a scikit-learn scorer name or a
        callable ``scorer(estimator, X, y)``; None uses :meth:`score`."""

_SHARED_ATTRIBUTES = """\
    loss_ : float
        The loss at the end of training (mean over samples, L2 penalty included).

    best_loss_ : float or None
        The lowest epoch loss ('sgd'/'adam'); None with early stopping.

    loss_curve_ : list of float
        Loss of each epoch ('sgd'/'adam').

    validation_scores_ : list of float or None
        Validation score of each epoch with early stopping, else None.

    validation_loss_curve_ : list of float or None
        Validation loss (mean data loss, no penalty) of each epoch with early
        stopping, else None.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    t_ : int
        Number of training samples seen by the stochastic solver.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix from layer ``i`` to layer ``i + 1``.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i + 1``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    n_iter_ : int
        Number of iterations run by the solver in the last call.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Name of the output activation."""


def _fill_doc(cls):
    cls.__doc__ = cls.__doc__.replace("%(parameters)s", _SHARED_PARAMETERS).replace(
        "%(attributes)s", _SHARED_ATTRIBUTES
    )
    return cls


@_fill_doc
class MLPClassifier(ClassifierMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron classifier, a drop-in for scikit-learn's.

    Optimizes the log-loss (binary, multinomial or multilabel) with L-BFGS, SGD or
    Adam over one flat parameter vector. Parameters, defaults and fitted attributes
    are those of :class:`sklearn.neural_network.MLPClassifier`.

    Parameters
    ----------
%(parameters)s

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, ``{label: weight}``; 'balanced' uses
        ``n_samples / (n_classes * np.bincount(y))`` on the data of each ``fit``. They
        multiply ``sample_weight`` in the loss, its gradient and the early-stopping
        score alike. Not for multilabel targets; 'balanced' is not available in
        ``partial_fit`` (it needs the whole data set).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (0..n_labels-1 for multilabel targets).

%(attributes)s

    See Also
    --------
    MLPRegressor : Multi-layer perceptron regressor.
    sklearn.neural_network.MLPClassifier : The estimator this one replaces.

    Notes
    -----
    Binary and multilabel targets use logistic outputs with binary cross-entropy,
    multiclass targets a softmax with multinomial cross-entropy. The loss is
    computed from the raw outputs (``logaddexp``/``logsumexp``), so it is exact for
    saturated predictions. Prediction works through rows in chunks of bounded
    memory.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skperceptron import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs",
    ...                     max_iter=500, random_state=0).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    >>> bool(clf.score(X, y) > 0.95)
    True
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        **CLASSIFIER_CONSTRAINTS,
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        weight_decay=0.0,
        learning_rate_warmup=0,
        max_grad_norm=None,
        weight_init="glorot_uniform",
        scoring=None,
        class_weight=None,
    ):
        store_init_params(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model to data matrix X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data; float32 input trains a float32 model.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        X_val, y_val : array-like, default=None
            An explicit validation set for early stopping (requires
            ``early_stopping=True``), used instead of holding out
            ``validation_fraction`` of the training data.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Sample weights of the validation set.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(
            X, y, sample_weight, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val
        )

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        ``k`` calls on the same data give exactly the model of ``fit`` with
        ``max_iter=k``. Only available for the 'sgd' and 'adam' solvers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        classes : array-like of shape (n_classes,), default=None
            All classes that will ever appear. Required on the first call, may be
            omitted afterwards; ``y`` need not contain all of them.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if classes is None and not hasattr(self, "classes_"):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # --------------------------------------------------------- target encoding
    def _encode_targets(self, y, *, first_pass, incremental, classes, dtype):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y).startswith("multilabel")
        if hasattr(y, "toarray"):
            y = y.toarray()
        if first_pass:
            self._set_classes(y, multilabel, classes)
        else:
            self._check_classes(y, multilabel, incremental, classes)
        return self._binarize(y, dtype)

    def _set_classes(self, y, multilabel, classes):
        if multilabel:
            self.classes_, self._target_kind = np.arange(y.shape[1]), "multilabel"
            return
        classes_ = unique_labels(y) if classes is None else unique_labels(classes)
        unseen = np.setdiff1d(unique_labels(y), classes_)
        if unseen.size:
            raise ValueError(
                f"`y` has labels {unseen} that are not in `classes` {classes_}."
            )
        if len(classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {classes_[0]!r}."
            )
        self.classes_ = classes_
        self._target_kind = "binary" if len(classes_) == 2 else "multiclass"

    def _check_classes(self, y, multilabel, incremental, classes):
        if multilabel != (self._target_kind == "multilabel"):
            raise ValueError(
                "The type of target changed since the previous fit: it was %s, `y` is "
                "now %s." % (self._target_kind, type_of_target(y))
            )
        if multilabel:
            if y.shape[1] != len(self.classes_):
                raise ValueError(
                    "`y` has %d labels, the model was fitted with %d."
                    % (y.shape[1], len(self.classes_))
                )
            return
        if classes is not None and not np.array_equal(
            unique_labels(classes), self.classes_
        ):
            raise ValueError(
                f"`classes={unique_labels(classes)}` is not the same as on the last "
                f"call to partial_fit, was: {self.classes_}."
            )
        present = unique_labels(y)
        if self.warm_start and not incremental:
            if set(present) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in "
                    f"the previous call to fit. Previously got {self.classes_}, `y` "
                    f"has {present}"
                )
        elif np.setdiff1d(present, self.classes_).size:
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. 'y' has {present}."
            )

    def _binarize(self, y, dtype):
        if self._target_kind == "multilabel":
            return np.asarray(y, dtype=dtype)
        index = np.searchsorted(self.classes_, y)
        if self._target_kind == "binary":
            return (index == 1).astype(dtype)[:, None]
        Y = np.zeros((len(y), len(self.classes_)), dtype=dtype)
        Y[np.arange(len(y)), index] = 1
        return Y

    def _encode_validation_targets(self, y, dtype, n_outputs):
        y = np.asarray(y) if not hasattr(y, "toarray") else y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self._target_kind == "multilabel":
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError("y_val must be an indicator matrix like y.")
        else:
            unknown = np.setdiff1d(unique_labels(y), self.classes_)
            if unknown.size:
                raise ValueError(
                    f"y_val has labels {unknown} that are not in classes_ {self.classes_}."
                )
        return self._binarize(y, dtype)

    def _decode_targets(self, Y):
        indices = self._indices(Y)
        return indices if self._target_kind == "multilabel" else self.classes_[indices]

    def _weigh_samples(self, Y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if self._target_kind == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets.")
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the whole data set and is not available "
                "in partial_fit; pass a dict of class weights instead."
            )
        index = self._indices(Y)
        if self.class_weight == "balanced":
            # Balanced over the classes present in this call's data.
            present = np.unique(index)
            weights = np.ones(len(self.classes_))
            weights[present] = compute_class_weight(
                "balanced", classes=self.classes_[present], y=self.classes_[index]
            )
        else:
            weights = compute_class_weight(
                self.class_weight, classes=self.classes_, y=self.classes_[index]
            )
        per_sample = weights[index].astype(Y.dtype)
        return per_sample if sample_weight is None else per_sample * sample_weight

    def _loss_name(self):
        return "log_loss" if self._target_kind == "multiclass" else "binary_log_loss"

    def _stratify(self, Y):
        if self._target_kind == "binary":
            return Y > 0.5
        if self._target_kind == "multiclass":
            return Y.argmax(axis=1)
        return None  # multilabel: no stratification

    def _indices(self, output):
        """Predicted class indices (or indicator matrix) from probabilities."""
        if self._target_kind == "multiclass":
            return output.argmax(axis=1)
        if self._target_kind == "binary":
            return (output[:, 0] > 0.5).astype(int)
        return (output > 0.5).astype(int)

    def _score_outputs(self, output, Y, sample_weight):
        return accuracy_score(
            self._indices(Y), self._indices(output), sample_weight=sample_weight
        )

    # -------------------------------------------------------------- prediction
    def predict(self, X):
        """Predict class labels (or a label indicator matrix for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes.
        """
        indices = self._indices(self._forward(X))
        if self._target_kind == "multilabel":
            return indices
        return self.classes_[indices]

    def decision_function(self, X):
        """Raw scores of the output layer, before the logistic or softmax link.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For binary targets a 1-D array whose positive values mean
            ``classes_[1]``, as scikit-learn's linear classifiers return; otherwise one
            column per class (or label).
        """
        raw = self._forward(X, final="identity")
        return raw.ravel() if self._target_kind == "binary" else raw

    def predict_proba(self, X):
        """Probability estimates.

        Rows sum to 1 for binary and multiclass targets; multilabel columns are
        independent probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        output = self._forward(X)
        if self._target_kind == "binary":
            return np.hstack([1 - output, output])
        return output

    def predict_log_proba(self, X):
        """Log of probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, so that both rank classes identically.
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@_fill_doc
class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron regressor, a drop-in for scikit-learn's.

    Optimizes the half squared error (identity output) or the half Poisson deviance
    (log link) with L-BFGS, SGD or Adam over one flat parameter vector. Parameters,
    defaults and fitted attributes are those of
    :class:`sklearn.neural_network.MLPRegressor`.

    Parameters
    ----------
    loss : {'squared_error', 'poisson', 'huber', 'absolute_error'}, \
            default='squared_error'
        'squared_error' is half the squared error summed over outputs and averaged
        over samples (scikit-learn's gradient; ``loss_`` is this value, so with
        several outputs it is scikit-learn's ``loss_`` times ``n_outputs_``); 'poisson' is half the Poisson
        deviance with an exponential output, and requires ``y >= 0``; 'huber' is
        quadratic for residuals within ``huber_delta`` and linear beyond (robust to
        outliers); 'absolute_error' is the mean absolute error.

%(parameters)s

    huber_delta : float, default=1.0
        Residual size where the 'huber' loss turns from quadratic to linear.

    Attributes
    ----------
%(attributes)s

    See Also
    --------
    MLPClassifier : Multi-layer perceptron classifier.
    sklearn.neural_network.MLPRegressor : The estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skperceptron import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(20,), solver="lbfgs", tol=0.1,
    ...                    random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> bool(reg.score(X, y) > 0.99)
    True
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        **REGRESSOR_CONSTRAINTS,
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        weight_decay=0.0,
        learning_rate_warmup=0,
        max_grad_norm=None,
        weight_init="glorot_uniform",
        scoring=None,
        huber_delta=1.0,
    ):
        store_init_params(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model to data matrix X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data; float32 input trains a float32 model.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        X_val, y_val : array-like, default=None
            An explicit validation set for early stopping (requires
            ``early_stopping=True``), used instead of holding out
            ``validation_fraction`` of the training data.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Sample weights of the validation set.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(
            X, y, sample_weight, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val
        )

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        ``k`` calls on the same data give exactly the model of ``fit`` with
        ``max_iter=k``. Only available for the 'sgd' and 'adam' solvers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, *, first_pass, incremental, classes, dtype):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = np.asarray(y, dtype=dtype).reshape(len(y), -1)
        if self.loss == "poisson" and (Y < 0).any():
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson "
                "regression."
            )
        return Y

    def _encode_validation_targets(self, y, dtype, n_outputs):
        y = np.asarray(y, dtype=dtype)
        Y = y.reshape(len(y), -1)
        if Y.shape[1] != n_outputs:
            raise ValueError("y_val has %d outputs, the model has %d." % (Y.shape[1], n_outputs))
        return Y

    def _decode_targets(self, Y):
        return Y.ravel() if Y.shape[1] == 1 else Y

    def _loss_name(self):
        return self.loss

    def _loss_params(self):
        return {"huber_delta": float(self.huber_delta)} if self.loss == "huber" else {}

    def _score_outputs(self, output, Y, sample_weight):
        return r2_score(Y, output, sample_weight=sample_weight)

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values, in the model's dtype.
        """
        output = self._forward(X)
        return output.ravel() if output.shape[1] == 1 else output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
