"""MLPClassifier: class encoding, class weights, prediction, tags and docs.

The training machinery lives in ``_base`` (the template of ``fit``) and the modules
below it; this module holds only what is particular to classification.
MLPRegressor lives in ``_regressor`` and is importable from here too.
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ._base import BaseMultilayerPerceptron, stochastic_solver
from ._docs import fill_doc
from ._options import CLASSIFIER_CONSTRAINTS
from ._state import store_init_params
from ._validation import _fit_context, type_of_target, unique_labels


@fill_doc
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
        return self._fit_with_callbacks(
            X, y, sample_weight, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val
        )

    @available_if(stochastic_solver)
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


# Defined in _regressor; importable from here as it always was.
from ._regressor import MLPRegressor  # noqa: E402

__all__ = ["MLPClassifier", "MLPRegressor"]
