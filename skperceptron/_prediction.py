"""Prediction of a fitted MLP: the validated forward pass in bounded-memory chunks."""

from numbers import Integral

import numpy as np
from sklearn import get_config

from ._activations import ACTIVATIONS
from ._network import forward_in_chunks, rows_within_budget
from ._validation import check_is_fitted, validate_input

# Prediction works through rows in chunks whose activation buffers fit this budget
# (a few MiB stay cache-friendly and bound memory), and never more than scikit-learn's
# ``working_memory`` setting.
PREDICT_CHUNK_BYTES = 4 * 2**20


class PredictionMixin:
    """``_forward`` for the estimators' predict methods, and ``hidden_activations``."""

    @staticmethod
    def _prediction_rows(layer_units, itemsize):
        budget = min(PREDICT_CHUNK_BYTES, get_config()["working_memory"] * 2**20)
        return rows_within_budget(layer_units, itemsize, budget)

    def _forward(self, X, final=None, n_layers=None):
        """Validated forward pass through the first ``n_layers`` weight layers (all by
        default) in bounded-memory row chunks; ``final`` defaults to the output link."""
        check_is_fitted(self)
        X = validate_input(self, X, reset=False)
        coefs = self.coefs_[:n_layers]
        layer_units = [self.n_features_in_] + [c.shape[1] for c in coefs]
        dtype = np.result_type(X.dtype, coefs[0].dtype)
        return forward_in_chunks(
            coefs,
            self.intercepts_[: len(coefs)],
            self._hidden_activations(len(self.coefs_) - 1),
            final or self.out_activation_,
            X,
            self._prediction_rows(layer_units, dtype.itemsize),
        )

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
        if not isinstance(layer, Integral) or not -n_hidden <= layer < n_hidden:
            raise ValueError(
                "layer must be an integer in [%d, %d) for a network with %d hidden "
                "layer(s); got %r." % (-n_hidden, n_hidden, n_hidden, layer)
            )
        layer = layer % n_hidden
        name = self._hidden_activations(n_hidden)[layer]
        return self._forward(X, final=ACTIVATIONS[name].forward, n_layers=layer + 1)
