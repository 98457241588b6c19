"""MLPClassifier: the estimator, its prediction methods, tags and docs.

The training machinery lives in ``_base`` (the template of ``fit``) and the modules
below it; the labels' encoding in ``_class_labels``; this module holds the rest of
what is particular to classification.
MLPRegressor lives in ``_regressor`` and is importable from here too.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.metaestimators import available_if

from ._base import BaseMultilayerPerceptron, stochastic_solver
from ._class_labels import ClassLabelsMixin
from ._docs import fill_doc
from ._options import CLASSIFIER_CONSTRAINTS
from ._state import interruptible, store_init_params
from ._validation import _fit_context, namespace_and_device, partial_fit_context


@fill_doc
class MLPClassifier(ClassifierMixin, ClassLabelsMixin, BaseMultilayerPerceptron):
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
    # scikit-learn's MLPClassifier carries its loss as an attribute that is not a
    # parameter; code reading ``clf.loss`` keeps working.
    loss = "log_loss"

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
    @partial_fit_context  # parameters validated on every call
    @interruptible
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
            omitted afterwards; ``y`` need not contain all of them. For a
            multilabel ``y`` they are its column indices, ``range(n_labels)``.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if classes is None and not hasattr(self, "classes_"):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _loss_name(self):
        return "log_loss" if self._target_kind == "multiclass" else "binary_log_loss"

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
        y : ndarray of shape (n_samples,) or (n_samples, n_labels), or CSR matrix
            The predicted classes; a CSR matrix when the model was fitted on a sparse
            label indicator matrix (with numpy input; Array API input gives an array of
            its namespace).
        """
        indices = self._indices(self._forward(X, "predict"))
        if self._target_kind != "multilabel":
            return self._labels(indices)
        if getattr(self, "_sparse_labels", False) and isinstance(indices, np.ndarray):
            return sp.csr_matrix(indices)
        return indices

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
        raw = self._forward(X, "decision_function", final="identity")
        if self._target_kind != "binary":
            return raw
        xp, _ = namespace_and_device(raw)
        return xp.reshape(raw, (-1,))

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
        return self._proba(X, "predict_proba")

    def _proba(self, X, method):
        output = self._forward(X, method)
        if self._target_kind != "binary":
            return output
        xp, _ = namespace_and_device(output)
        return xp.concat([1 - output, output], axis=1)

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
        proba = self._proba(X, "predict_log_proba")
        xp, _ = namespace_and_device(proba)
        with np.errstate(divide="ignore"):
            return xp.log(proba)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given test data and labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            True labels for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy of ``self.predict(X)`` against ``y`` (subset accuracy for
            multilabel targets).
        """
        self._check_score_input(X)
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


# Defined in _regressor; importable from here as it always was.
from ._regressor import MLPRegressor  # noqa: E402

__all__ = ["MLPClassifier", "MLPRegressor"]
