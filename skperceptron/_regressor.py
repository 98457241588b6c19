"""MLPRegressor: target checks, the regression losses, prediction, tags and docs."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, column_or_1d

from ._base import BaseMultilayerPerceptron, stochastic_solver
from ._docs import fill_doc
from ._options import REGRESSOR_CONSTRAINTS
from ._state import interruptible, store_init_params
from ._validation import _fit_context, namespace_and_device, partial_fit_context


@fill_doc
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
        several outputs its data term is scikit-learn's times ``n_outputs_``, the
        penalty the same);
        'poisson' is half the Poisson deviance with an exponential output, and
        requires ``y >= 0``; 'huber' is quadratic for residuals within
        ``huber_delta`` and linear beyond (robust to outliers); 'absolute_error' is
        the mean absolute error.

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
        return self._fit_with_callbacks(
            X, y, sample_weight, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val
        )

    @available_if(stochastic_solver)
    @partial_fit_context  # parameters validated on every call
    @interruptible
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
        return self._check_poisson_targets(np.asarray(y, dtype=dtype).reshape(len(y), -1), "y")

    def _encode_validation_targets(self, y, dtype, n_outputs):
        # C order, as the training targets are: the R^2 sums then run in one order.
        y = check_array(y, ensure_2d=False, dtype=dtype, order="C", input_name="y_val")
        if y.ndim > 2:
            raise ValueError(f"y_val must be 1-D or 2-D like y; got shape {y.shape}.")
        Y = y.reshape(len(y), -1)
        if Y.shape[1] != n_outputs:
            raise ValueError("y_val has %d outputs, the model has %d." % (Y.shape[1], n_outputs))
        return self._check_poisson_targets(Y, "y_val")

    def _check_poisson_targets(self, Y, name):
        if self.loss == "poisson" and (Y < 0).any():
            raise ValueError(
                f"Some value(s) of {name} are negative which is not allowed for Poisson "
                "regression."
            )
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
            The predicted values: float32 when the model and ``X`` are both
            float32, else float64 (numpy's promotion, as scikit-learn's).
        """
        output = self._forward(X, "predict")
        if output.shape[1] != 1:
            return output
        xp, _ = namespace_and_device(output)
        return xp.reshape(output, (-1,))

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 of the prediction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            :math:`R^2` of ``self.predict(X)`` against ``y``, as
            :meth:`sklearn.base.RegressorMixin.score`.
        """
        self._check_score_input(X)
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
