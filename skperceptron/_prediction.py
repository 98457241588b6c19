"""Prediction of a fitted MLP: the validated forward pass in bounded-memory chunks.

With scikit-learn's ``array_api_dispatch`` on, a model fitted on another namespace's
arrays (a GPU tensor, say) predicts in that namespace and on that device; the input must
be there too (``check_fitted_namespace``).
"""

from numbers import Integral

import numpy as np
from sklearn import get_config
from sklearn.base import clone

from . import _network_array
from ._activations import ACTIVATIONS
from ._network import forward_in_chunks, rows_within_budget
from ._validation import (
    check_fitted_namespace,
    check_is_fitted,
    convert_arrays,
    input_backend,
    validate_input,
)

# Fitted attributes that stay numpy arrays on the host whatever the input's namespace.
HOST_ATTRIBUTES = ("classes_", "feature_names_in_")

# Prediction works through rows in chunks whose activation buffers fit this budget
# (a few MiB stay cache-friendly and bound memory), and never more than scikit-learn's
# ``working_memory`` setting.
PREDICT_CHUNK_BYTES = 4 * 2**20

NON_FINITE_OUTPUT = (
    "{}.{}: the network's outputs are not finite for some rows of X. X is finite, so "
    "its values are too large for the weights (overflow): scale X as the training "
    "data were scaled."
)


class PredictionMixin:
    """``_forward`` for the estimators' predict methods, and ``hidden_activations``."""

    @staticmethod
    def _prediction_rows(layer_units, itemsize):
        budget = min(PREDICT_CHUNK_BYTES, get_config()["working_memory"] * 2**20)
        return rows_within_budget(layer_units, itemsize, budget)

    @property
    def _reference_weights(self):
        """The first weight matrix: its namespace and device are the model's."""
        return self.coefs_[0]

    def _forward(self, X, method, final=None, n_layers=None):
        """Validated forward pass through the first ``n_layers`` weight layers (all by
        default) in bounded-memory row chunks, for the public ``method``. ``final`` is
        an output-activation name (the model's output link by default) or an entry of
        ``ACTIVATIONS`` (a hidden layer's outputs)."""
        check_is_fitted(self)
        check_fitted_namespace(X, self, method)
        X = validate_input(self, X, reset=False)
        coefs = self.coefs_[:n_layers]
        layer_units = [self.n_features_in_] + [c.shape[1] for c in coefs]
        ops = input_backend(X)
        final = final or self.out_activation_
        args = (coefs, self.intercepts_[: len(coefs)],
                self._hidden_activations(len(self.coefs_) - 1))
        if ops is not None:
            # As numpy's result_type below: float64 input to a float32 model is float64.
            dtype = ops.xp.result_type(X.dtype, coefs[0].dtype)
            X = ops.xp.astype(X, dtype, copy=False)
            args = ([ops.xp.astype(a, dtype, copy=False) for a in args[0]],
                    [ops.xp.astype(a, dtype, copy=False) for a in args[1]], args[2])
            link = final if isinstance(final, str) else final.array_forward
            rows = self._prediction_rows(layer_units, ops.numpy_dtype(dtype).itemsize)
            out = _network_array.forward_in_chunks(ops, *args, link, X, rows)
            finite = ops.all_finite(out)
        else:
            dtype = np.result_type(X.dtype, coefs[0].dtype)
            link = final if isinstance(final, str) else final.forward
            with np.errstate(over="ignore", invalid="ignore"):
                out = forward_in_chunks(
                    *args, link, X, self._prediction_rows(layer_units, dtype.itemsize)
                )
            finite = np.isfinite(out).all()
        if not finite:  # X is finite (validated): its values overflow the network
            raise ValueError(NON_FINITE_OUTPUT.format(type(self).__name__, method))
        return out

    def _check_score_input(self, X):
        """``score``'s own namespace check (the mixins' ``score`` would report it under
        ``predict``)."""
        check_is_fitted(self)
        check_fitted_namespace(X, self, "score")

    def __sklearn_array_api_convert__(self, converter):
        """A clone holding every fitted array converted by ``converter`` (scikit-learn's
        ``move_estimator_to``), except ``classes_`` and ``feature_names_in_``, which
        stay numpy arrays (string labels have no device)."""
        moved = clone(self)
        for name, value in vars(self).items():
            keep = name in HOST_ATTRIBUTES
            setattr(moved, name, value if keep else convert_arrays(value, converter))
        return moved

    def hidden_activations(self, X, layer=-1):
        """Outputs of a hidden layer, for use as learned features.

        Deterministic (no dropout). Not named ``transform`` on purpose: that would
        make scikit-learn treat the estimator as a transformer in pipelines and checks.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        layer : int, default=-1
            Index of the hidden layer, counted from 0 (negative counts from the last
            hidden layer).

        Returns
        -------
        activations : ndarray of shape (n_samples, hidden_layer_sizes[layer])
            The layer's activations.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skperceptron import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier((6, 4), solver="lbfgs", max_iter=50, random_state=0)
        >>> clf.fit(X, y).hidden_activations(X[:2], layer=0).shape
        (2, 6)
        """
        check_is_fitted(self)
        n_hidden = len(self.coefs_) - 1
        if (not isinstance(layer, Integral) or isinstance(layer, bool)
                or not -n_hidden <= layer < n_hidden):
            raise ValueError(
                "layer must be an integer in [%d, %d) for a network with %d hidden "
                "layer(s); got %r." % (-n_hidden, n_hidden, n_hidden, layer)
            )
        layer = layer % n_hidden
        name = self._hidden_activations(n_hidden)[layer]
        return self._forward(
            X, "hidden_activations", final=ACTIVATIONS[name], n_layers=layer + 1
        )
