"""Output losses with their matching output links, keyed by option string.

Every loss is written as a function of the *raw* output ``Z`` (before the link) so that
it is exact and stable for saturated outputs (``logaddexp``/``logsumexp`` rather than a
clipped ``log(p)``), and its gradient with respect to ``Z`` takes the canonical form
``link(Z) - Y`` for each matched pair (identity/squared error, exp/Poisson,
logistic/binary cross-entropy, softmax/multinomial cross-entropy).

``value_and_delta(Y, Z, sample_weight, sw_sum, delta, **params)`` returns the
sample-weighted mean loss and writes ``d loss / d Z`` into ``delta`` (already divided by
``sw_sum``), which is exactly the output delta backprop starts from. ``params`` carries a
loss's own hyperparameters (Huber's ``delta``).
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import expit, xlogy

from ._activations import ACTIVATIONS


class Loss(NamedTuple):
    out_activation: str
    """scikit-learn's name of the output activation (``out_activation_``)."""
    inverse_link: Callable[[np.ndarray], None]
    """Overwrites raw outputs with predictions (means or probabilities)."""
    value_and_delta: Callable[..., float]


def _weighted_mean(per_sample, sample_weight, sw_sum):
    if sample_weight is None:
        return float(per_sample.sum()) / sw_sum
    return float(np.dot(per_sample, sample_weight)) / sw_sum


def _scale_delta(delta, sample_weight, sw_sum, extra=1.0):
    """Turn per-sample gradients into the gradient of the weighted mean, in place."""
    if sample_weight is None:
        delta *= extra / sw_sum
    else:
        delta *= sample_weight[:, None]
        delta *= extra / sw_sum


# The identity and logistic links are the hidden activations of the same name.
_identity = ACTIVATIONS["identity"].forward
_logistic = ACTIVATIONS["logistic"].forward


def _exp(Z):
    np.exp(Z, out=Z)


def _softmax(Z):
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)


def _squared_error(Y, Z, sample_weight, sw_sum, delta):
    # Half squared error summed over outputs, averaged over samples:
    # 0.5 * mean_i sum_k (y_ik - z_ik)^2. Its gradient is scikit-learn's (which divides
    # by n_samples only), so multi-output training follows scikit-learn's for the same
    # learning_rate_init and alpha; with one output this is the plain mean.
    np.subtract(Z, Y, out=delta)
    per_sample = np.einsum("ij,ij->i", delta, delta)
    value = 0.5 * _weighted_mean(per_sample, sample_weight, sw_sum)
    _scale_delta(delta, sample_weight, sw_sum)
    return value


def _huber(Y, Z, sample_weight, sw_sum, delta, huber_delta=1.0):
    # Quadratic within +-huber_delta, linear outside; averaged over outputs (unlike
    # squared_error, which sums them). Its gradient is the residual clipped to [-delta, delta].
    n_outputs = Z.shape[1]
    np.subtract(Z, Y, out=delta)
    r = np.abs(delta)
    per_element = np.where(
        r <= huber_delta, 0.5 * r * r, huber_delta * (r - 0.5 * huber_delta)
    )
    value = _weighted_mean(per_element.sum(axis=1), sample_weight, sw_sum) / n_outputs
    np.clip(delta, -huber_delta, huber_delta, out=delta)
    _scale_delta(delta, sample_weight, sw_sum, 1.0 / n_outputs)
    return value


def _absolute_error(Y, Z, sample_weight, sw_sum, delta):
    # Mean absolute error over samples and outputs; its subgradient is sign(residual).
    n_outputs = Z.shape[1]
    np.subtract(Z, Y, out=delta)
    value = _weighted_mean(np.abs(delta).sum(axis=1), sample_weight, sw_sum) / n_outputs
    np.sign(delta, out=delta)
    _scale_delta(delta, sample_weight, sw_sum, 1.0 / n_outputs)
    return value


def _poisson(Y, Z, sample_weight, sw_sum, delta):
    # Half Poisson deviance with log link: mu - y z + y log y - y, summed over outputs.
    np.exp(Z, out=delta)
    per_sample = (delta - Y * Z + xlogy(Y, Y) - Y).sum(axis=1)
    value = _weighted_mean(per_sample, sample_weight, sw_sum)
    delta -= Y
    _scale_delta(delta, sample_weight, sw_sum)
    return value


def _binary_log_loss(Y, Z, sample_weight, sw_sum, delta):
    # Independent logistic outputs (binary and multilabel): log(1 + e^z) - y z.
    per_sample = (np.logaddexp(0, Z) - Y * Z).sum(axis=1)
    value = _weighted_mean(per_sample, sample_weight, sw_sum)
    expit(Z, out=delta)
    delta -= Y
    _scale_delta(delta, sample_weight, sw_sum)
    return value


def _multinomial_log_loss(Y, Z, sample_weight, sw_sum, delta):
    # Softmax cross-entropy: logsumexp(z) - <y, z>, from one shifted exponential that
    # also gives the softmax for the gradient.
    z_max = Z.max(axis=1, keepdims=True)
    np.subtract(Z, z_max, out=delta)
    np.exp(delta, out=delta)
    total = delta.sum(axis=1, keepdims=True)
    delta /= total
    lse = np.log(total[:, 0]) + z_max[:, 0]
    if sample_weight is None:
        # sum_i <y_i, z_i> as one dot product over the block.
        value = (float(lse.sum()) - float(np.vdot(Y, Z))) / sw_sum
    else:
        value = _weighted_mean(lse - np.einsum("ij,ij->i", Y, Z), sample_weight, sw_sum)
    delta -= Y
    _scale_delta(delta, sample_weight, sw_sum)
    return value


LOSSES = {
    "squared_error": Loss("identity", _identity, _squared_error),
    "poisson": Loss("exp", _exp, _poisson),
    "huber": Loss("identity", _identity, _huber),
    "absolute_error": Loss("identity", _identity, _absolute_error),
    "binary_log_loss": Loss("logistic", _logistic, _binary_log_loss),
    "log_loss": Loss("softmax", _softmax, _multinomial_log_loss),
}

# Inverse links by output-activation name, for prediction from a fitted model.
INVERSE_LINKS = {loss.out_activation: loss.inverse_link for loss in LOSSES.values()}
