"""Temperature calibration of classifier scores: ``link(scores / T)``.

Plain numpy/scipy and independent of any estimator: give it scores (one column for a
binary problem, one per class otherwise), the true class codes and sample weights, and
it returns the temperature ``T > 0`` minimising the weighted log loss of
:func:`probabilities`. :func:`probabilities` is safe for scores of any magnitude: it
never returns a non-finite value, and ``+inf``/``-inf`` scores (an overflowed dot
product) give the limits of the finite case.

The search is over ``log T`` on a bounded range and is solved as a safeguarded Newton
iteration on ``beta = r / T`` (``r`` the root-mean-square score, so ``beta`` is near 1):
the log loss of ``link(beta * z)`` is convex in ``beta`` for both links, so Newton
steps converge in a handful of vectorised passes, and a step that leaves the current
bracket of the minimum is replaced by a geometric bisection.
"""

import numpy as np
from scipy.special import expit, log_softmax, softmax

# log(beta) is searched in [-LOG_RANGE, LOG_RANGE] around the score scale: from
# essentially uniform probabilities to probabilities saturated far beyond float64.
LOG_RANGE = 30.0
_MAX_ITER = 40
_RTOL = 1e-4  # relative precision of beta (of T); the loss is flat to 1e-8 there


def probabilities(scores, temperature=1.0):
    """``[1 - p, p]`` with ``p = sigmoid(s / T)`` (1-D scores) or ``softmax(s / T)``.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Decision scores; ``+-inf`` allowed, NaN not.
    temperature : float, default=1.0
        Positive divisor of the scores.

    Returns
    -------
    proba : ndarray of shape (n_samples, 2) or (n_samples, n_classes)
        Finite probabilities, rows summing to 1.
    """
    z = np.asarray(scores, dtype=np.float64) / temperature
    if z.ndim == 1:
        return np.column_stack([expit(-z), expit(z)])
    top = z.max(axis=1, keepdims=True)
    infinite = ~np.isfinite(top[:, 0])
    if infinite.any():
        # Rows with an infinite top score (or all -inf): the classes at the top share
        # the probability, as the finite limit would give.
        rows = z[infinite]
        z = z.copy()
        z[infinite] = np.where(rows == top[infinite], 0.0, -np.inf)
    return softmax(z, axis=1)


def log_probabilities(scores, temperature=1.0):
    """Logarithm of :func:`probabilities`, computed without forming tiny exponentials."""
    z = np.asarray(scores, dtype=np.float64) / temperature
    if z.ndim == 1:
        return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])
    top = z.max(axis=1, keepdims=True)
    infinite = ~np.isfinite(top[:, 0])
    if infinite.any():
        rows = z[infinite]
        z = z.copy()
        z[infinite] = np.where(rows == top[infinite], 0.0, -np.inf)
    return log_softmax(z, axis=1)


def _scale(scores):
    """Root-mean-square of the finite scores, computed without overflow (0 if none)."""
    finite = scores[np.isfinite(scores)]
    top = np.max(np.abs(finite)) if finite.size else 0.0
    if top == 0.0:
        return 0.0
    return float(top * np.sqrt(np.mean(np.square(finite / top))))


class _Binary:
    """Derivatives in beta of the mean log loss of sigmoid(beta * m), m signed margins."""

    def __init__(self, z, y, w):
        self.m = np.where(y == 1, z, -z)
        self.w = w

    def derivatives(self, beta):
        q = expit(-beta * self.m)  # 1 - p(correct)
        wm = self.w * self.m
        return -np.dot(wm, q), np.dot(wm * self.m, q * (1.0 - q))


class _Multiclass:
    """Derivatives in beta of the mean log loss of softmax(beta * z) for class codes y."""

    def __init__(self, z, y, w):
        # Scores shifted so that each row's top is 0: exp(beta * z) never overflows for
        # beta > 0, and the derivatives (differences of scores) are unchanged.
        self.z = z - z.max(axis=1, keepdims=True)
        self.z2 = self.z * self.z
        self.w = w
        self.true = self.z[np.arange(z.shape[0]), y]
        self.ones = np.ones(z.shape[1])

    def derivatives(self, beta):
        e = np.exp(beta * self.z)
        total = e @ self.ones  # a matrix-vector product: faster than sum(axis=1)
        mean = np.einsum("ik,ik->i", e, self.z) / total
        second = np.einsum("ik,ik->i", e, self.z2) / total
        return np.dot(self.w, mean - self.true), np.dot(self.w, second - mean * mean)


def fit_temperature(scores, y, sample_weight=None):
    """Temperature minimising the weighted log loss of ``probabilities(scores, T)``.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Held-out decision scores; 1-D for a binary problem (positive class 1).
    y : ndarray of shape (n_samples,)
        Class codes: 0/1 for 1-D scores, column indices otherwise.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights (non-negative).

    Returns
    -------
    temperature : float
        Positive and finite. 1.0 when the scores carry no information (all zero,
        none finite, or no weight).
    """
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y)
    w = np.ones(y.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    keep = np.isfinite(scores) if scores.ndim == 1 else np.isfinite(scores).all(axis=1)
    keep &= w > 0
    if not keep.all():
        scores, y, w = scores[keep], y[keep], w[keep]
    r = _scale(scores)
    if r == 0.0 or w.sum() <= 0:
        return 1.0
    z = scores / r
    problem = (_Binary if z.ndim == 1 else _Multiclass)(z, y, w / w.sum())
    beta = _minimise(problem)
    return _bounded_temperature(r, beta)


def _minimise(problem):
    """Safeguarded Newton on a convex 1-D function over [e^-LOG_RANGE, e^LOG_RANGE]."""
    lo, hi = np.exp(-LOG_RANGE), np.exp(LOG_RANGE)
    beta = 1.0
    for _ in range(_MAX_ITER):
        grad, curvature = problem.derivatives(beta)
        if grad > 0:
            hi = beta
        else:
            lo = beta
        if grad == 0 or hi <= lo * (1.0 + _RTOL):
            break
        step = beta - grad / curvature if curvature > 0 else np.nan
        if not (lo < step < hi):
            step = np.sqrt(lo * hi)  # geometric bisection of the bracket
        if abs(step - beta) <= _RTOL * beta:
            beta = step
            break
        beta = step
    return float(beta)


def _bounded_temperature(scale, beta):
    # T = scale / beta, kept a positive finite float whatever the scale.
    log_t = np.log(scale) - np.log(beta)
    log_t = np.clip(log_t, np.log(np.finfo(np.float64).tiny), np.log(np.finfo(np.float64).max))
    return float(np.exp(log_t))
