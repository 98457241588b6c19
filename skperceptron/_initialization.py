"""Initial weights: the schemes of the ``weight_init`` option, drawn into a flat theta.

``"glorot_uniform"`` is scikit-learn's scheme in its order of draws, so the same
``random_state`` gives the same initial network as ``sklearn.neural_network``.
"""

import numpy as np

from ._network import pack


def _glorot_uniform(rng, fan_in, fan_out, activation):
    # scikit-learn's scheme: weights and intercepts from U(-b, b), factor 2 for
    # logistic layers, 6 otherwise.
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    coef = rng.uniform(-bound, bound, (fan_in, fan_out))
    return coef, rng.uniform(-bound, bound, fan_out)


def _he_uniform(rng, fan_in, fan_out, activation):
    bound = np.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


def _he_normal(rng, fan_in, fan_out, activation):
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)


def _lecun_normal(rng, fan_in, fan_out, activation):
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)


# option string -> init(rng, fan_in, fan_out, activation) -> (coef, intercept)
INITIALIZERS = {
    "glorot_uniform": _glorot_uniform,
    "he_uniform": _he_uniform,
    "he_normal": _he_normal,
    "lecun_normal": _lecun_normal,
}


def initial_theta(layer_units, activations, random_state, dtype, scheme="glorot_uniform"):
    """Initial theta, drawn layer by layer (weights, then intercept).

    ``activations`` names the activation whose Glorot factor scales each weight layer
    (as :func:`._architecture.initialisation_activations` gives them), or only each
    hidden layer's, the output layer then counting as its predecessor's, as in
    scikit-learn. With ``"glorot_uniform"`` the draws are scikit-learn's, in its order,
    so the same ``random_state`` gives the same initial network as
    ``sklearn.neural_network``.
    """
    init = INITIALIZERS[scheme]
    coefs, intercepts = [], []
    fans = list(zip(layer_units[:-1], layer_units[1:], strict=True))
    names = list(activations)
    if len(names) == len(fans) - 1:
        names.append(names[-1] if names else "identity")
    for (fan_in, fan_out), name in zip(fans, names, strict=True):
        coef, intercept = init(random_state, fan_in, fan_out, name)
        coefs.append(coef)
        intercepts.append(intercept)
    return pack(coefs, intercepts, dtype)
