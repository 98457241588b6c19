"""The network's shape read from the estimator's parameters, checked.

Pure functions of parameter values: the hidden layer sizes, one activation name and
one dropout rate per hidden layer, and the activation that sets each weight layer's
initial scale. Bad values raise errors that name the parameter.
"""

from numbers import Integral, Real

import numpy as np

from ._activations import ACTIVATIONS
from ._validation import InvalidParameterError


def hidden_layer_sizes(given):
    """``hidden_layer_sizes`` as a list of positive ints (an int means one layer)."""
    sizes = list(given) if hasattr(given, "__iter__") else [given]
    if not all(isinstance(s, Integral) and not isinstance(s, (bool, np.bool_)) for s in sizes):
        raise InvalidParameterError(
            "hidden_layer_sizes must be an int or a sequence of ints (one per hidden "
            "layer); got %r." % (given,)
        )
    if any(s <= 0 for s in sizes):
        raise InvalidParameterError("hidden_layer_sizes must be > 0, got %s." % sizes)
    return [int(s) for s in sizes]


def hidden_activations(activation, n_hidden):
    """One activation name per hidden layer, from one name or a list of them."""
    if isinstance(activation, str):
        return [activation] * n_hidden
    names = list(activation)
    if len(names) != n_hidden or not all(isinstance(a, str) and a in ACTIVATIONS for a in names):
        raise ValueError(
            "activation given as a list needs one name per hidden layer (%d), each "
            "among %s; got %r." % (n_hidden, sorted(ACTIVATIONS), activation)
        )
    return names


def dropout_rates(dropout, n_hidden):
    """One dropout rate in [0, 1) per hidden layer, from one rate or a list of them."""
    rates = [dropout] * n_hidden if isinstance(dropout, Real) else list(dropout)
    if len(rates) != n_hidden or not all(isinstance(p, Real) and 0 <= p < 1 for p in rates):
        raise ValueError(
            "dropout needs a rate in [0, 1) or one such rate per hidden layer (%d); "
            "got %r." % (n_hidden, dropout)
        )
    return [float(p) for p in rates]


def initialisation_activations(activations, activation):
    """The activation whose Glorot factor scales each weight layer's initial draw.

    Each weight layer follows its input layer's activation, the output layer its
    predecessor's; with one activation for all layers this is scikit-learn's draw
    exactly (without hidden layers, scikit-learn's ``activation`` parameter decides).
    """
    per_layer = activations + [activations[-1] if activations else activation]
    if not isinstance(per_layer[-1], str):
        per_layer[-1] = "identity"
    return per_layer
