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

Each loss also has a functional body for any Array API namespace,
``array_value_and_delta(ops, Y, Z, sample_weight, sw_sum, **params) -> (value, delta)``
(``ops`` a :class:`~skperceptron._backend.ArrayBackend`): the value is a 0-d array, so
that a minibatch loop never waits for the device; ``sw_sum`` may be a 0-d array too.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import expit, xlogy

from ._activations import ACTIVATIONS
from ._fused import subtract_row_max


class Loss(NamedTuple):
    out_activation: str
    """scikit-learn's name of the output activation (``out_activation_``)."""
    inverse_link: Callable[[np.ndarray], None]
    """Overwrites raw outputs with predictions (means or probabilities)."""
    value_and_delta: Callable[..., float]
    array_inverse_link: Callable | None = None
    """``array_inverse_link(ops, Z)`` returns the predictions (any namespace)."""
    array_value_and_delta: Callable | None = None
    """The functional body of ``value_and_delta`` (see the module docstring)."""


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
    subtract_row_max(Z, Z)
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
    z_max = subtract_row_max(Z, delta)
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


# ------------------------------------------- Array API bodies (functional)
def _weighted_mean_array(xp, per_sample, sample_weight, sw_sum):
    if sample_weight is None:
        return xp.sum(per_sample) / sw_sum
    return xp.vecdot(per_sample, sample_weight) / sw_sum


def _scaled_array(delta, sample_weight, sw_sum, extra=1.0):
    if sample_weight is None:
        return delta * (extra / sw_sum)
    return (delta * sample_weight[:, None]) * (extra / sw_sum)


_identity_link_array = ACTIVATIONS["identity"].array_forward
_logistic_link_array = ACTIVATIONS["logistic"].array_forward


def _exp_link_array(ops, Z):
    return ops.xp.exp(Z)


def _softmax_array(ops, Z):
    xp = ops.xp
    E = xp.exp(Z - xp.max(Z, axis=1, keepdims=True))
    return E / xp.sum(E, axis=1, keepdims=True)


def _squared_error_array(ops, Y, Z, sample_weight, sw_sum):
    xp = ops.xp
    R = Z - Y
    value = 0.5 * _weighted_mean_array(xp, xp.sum(R * R, axis=1), sample_weight, sw_sum)
    return value, _scaled_array(R, sample_weight, sw_sum)


def _huber_array(ops, Y, Z, sample_weight, sw_sum, huber_delta=1.0):
    xp = ops.xp
    n_outputs = Z.shape[1]
    R = Z - Y
    r = xp.abs(R)
    per_element = xp.where(r <= huber_delta, 0.5 * r * r, huber_delta * (r - 0.5 * huber_delta))
    value = _weighted_mean_array(xp, xp.sum(per_element, axis=1), sample_weight, sw_sum)
    delta = xp.clip(R, min=-huber_delta, max=huber_delta)
    return value / n_outputs, _scaled_array(delta, sample_weight, sw_sum, 1.0 / n_outputs)


def _absolute_error_array(ops, Y, Z, sample_weight, sw_sum):
    xp = ops.xp
    n_outputs = Z.shape[1]
    R = Z - Y
    value = _weighted_mean_array(xp, xp.sum(xp.abs(R), axis=1), sample_weight, sw_sum)
    return value / n_outputs, _scaled_array(xp.sign(R), sample_weight, sw_sum, 1.0 / n_outputs)


def _poisson_array(ops, Y, Z, sample_weight, sw_sum):
    xp = ops.xp
    mu = xp.exp(Z)
    positive = Y > 0
    y_log_y = xp.where(positive, Y * xp.log(xp.where(positive, Y, xp.ones_like(Y))), 0.0 * Y)
    per_sample = xp.sum(mu - Y * Z + y_log_y - Y, axis=1)
    value = _weighted_mean_array(xp, per_sample, sample_weight, sw_sum)
    return value, _scaled_array(mu - Y, sample_weight, sw_sum)


def _binary_log_loss_array(ops, Y, Z, sample_weight, sw_sum):
    xp = ops.xp
    per_sample = xp.sum(xp.logaddexp(xp.zeros_like(Z), Z) - Y * Z, axis=1)
    value = _weighted_mean_array(xp, per_sample, sample_weight, sw_sum)
    return value, _scaled_array(_logistic_link_array(ops, Z) - Y, sample_weight, sw_sum)


def _multinomial_log_loss_array(ops, Y, Z, sample_weight, sw_sum):
    xp = ops.xp
    z_max = xp.max(Z, axis=1, keepdims=True)
    E = xp.exp(Z - z_max)
    total = xp.sum(E, axis=1, keepdims=True)
    lse = xp.log(total[:, 0]) + z_max[:, 0]
    per_sample = lse - xp.sum(Y * Z, axis=1)
    value = _weighted_mean_array(xp, per_sample, sample_weight, sw_sum)
    return value, _scaled_array(E / total - Y, sample_weight, sw_sum)


LOSSES = {
    "squared_error": Loss(
        "identity", _identity, _squared_error, _identity_link_array, _squared_error_array
    ),
    "poisson": Loss("exp", _exp, _poisson, _exp_link_array, _poisson_array),
    "huber": Loss("identity", _identity, _huber, _identity_link_array, _huber_array),
    "absolute_error": Loss(
        "identity", _identity, _absolute_error, _identity_link_array, _absolute_error_array
    ),
    "binary_log_loss": Loss(
        "logistic", _logistic, _binary_log_loss, _logistic_link_array, _binary_log_loss_array
    ),
    "log_loss": Loss(
        "softmax", _softmax, _multinomial_log_loss, _softmax_array, _multinomial_log_loss_array
    ),
}

# Inverse links by output-activation name, for prediction from a fitted model.
INVERSE_LINKS = {loss.out_activation: loss.inverse_link for loss in LOSSES.values()}
ARRAY_INVERSE_LINKS = {loss.out_activation: loss.array_inverse_link for loss in LOSSES.values()}
