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
steps (blended with steps in ``log beta`` where the loss flattens) converge in 3-5
vectorised passes, and a step that leaves the current bracket of the minimum is
replaced by a geometric bisection. It runs inside every ``fit``, so each pass is kept
to a few numpy calls (row sums as matrix-vector products, no ``max(axis=1)``).
"""

import math

import numpy as np
from scipy.special import expit, log_softmax, softmax

# log(beta) is searched in [-LOG_RANGE, LOG_RANGE] around the score scale: from
# essentially uniform probabilities to probabilities saturated far beyond float64.
LOG_RANGE = 30.0
_MAX_ITER = 40
_LOG_TINY = math.log(np.finfo(np.float64).tiny)
_LOG_HUGE = math.log(np.finfo(np.float64).max)
_RTOL = 1e-4  # precision of log(beta) = precision of log(T)
_GTOL = 1e-5  # loss above the minimum counted as zero, bounded by convexity (below)
_DECREMENT = 1e-10  # loss decrease a Newton step still promises, counted as zero
_STEP_TOL = 1e-2  # a Newton step this small (relative) is the last one, if the one
_CONVERGING = 0.2  # before it moved beta by less than this (Newton converging)


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
    z = _scaled_scores(scores, temperature)
    if z.ndim == 1:
        return np.column_stack([expit(-z), expit(z)])
    return softmax(z, axis=1)


def log_probabilities(scores, temperature=1.0):
    """Logarithm of :func:`probabilities`, computed without forming tiny exponentials."""
    z = _scaled_scores(scores, temperature)
    if z.ndim == 1:
        return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])
    return log_softmax(z, axis=1)


def _scaled_scores(scores, temperature):
    """``scores / temperature`` in float64, ready for the binary or multiclass link.

    An overflow gives +-inf, which the links handle; in a multiclass row with an
    infinite top score (or all -inf) the classes at the top share the probability, as
    the finite limit would give.
    """
    with np.errstate(over="ignore"):
        z = np.asarray(scores, dtype=np.float64) / temperature
    if z.ndim == 1:
        return z
    top = z.max(axis=1, keepdims=True)
    infinite = ~np.isfinite(top[:, 0])
    if infinite.any():
        rows = z[infinite]
        z = z.copy()
        z[infinite] = np.where(rows == top[infinite], 0.0, -np.inf)
    return z


def _scale(scores):
    """Root-mean-square of the scores, computed without overflow (0 if all zero)."""
    flat = scores.ravel()
    with np.errstate(over="ignore"):  # an overflow falls through to the scaled sum
        square = float(np.dot(flat, flat))
    if 0.0 < square < np.inf:
        return math.sqrt(square / flat.size)
    top = float(np.max(np.abs(flat))) if flat.size else 0.0
    if top == 0.0:
        return 0.0
    return top * math.sqrt(float(np.mean(np.square(flat / top))))


class _Binary:
    """Derivatives in beta of the mean log loss of sigmoid(beta * m), m signed margins,
    against targets that give each row's own label the mass ``own`` (1 by default)."""

    def __init__(self, z, y, w, own=None):
        self.m = np.where(y == 1, z, -z)
        self.wm = w * self.m
        self.wm2 = self.wm * self.m
        # The target's share on the other label adds a constant to the derivative.
        self.offset = 0.0 if own is None else float(np.dot(self.wm, 1.0 - own))

    def derivatives(self, beta):
        q = expit(-beta * self.m)  # 1 - p(own label)
        return self.offset - np.dot(self.wm, q), np.dot(self.wm2, q * (1.0 - q))


class _Multiclass:
    """Derivatives in beta of the mean log loss of softmax(beta * z) for class codes y,
    against targets that give each row's own class the mass ``own`` (1 by default) and
    the rest evenly to the other classes."""

    def __init__(self, z, y, w, own=None):
        # Scores shifted so that each row's top is 0: exp(beta * z) never overflows for
        # beta > 0, and the derivatives (differences of scores) are unchanged.
        self.z = z - _row_max(z)[:, None]
        self.w = w
        n_rows, n_classes = z.shape
        self.ones = np.ones(n_classes)
        # The target's mean score (the loss's linear term): the own class's score, or
        # the mix of it and the other classes' mean.
        self.true = self.z.ravel()[np.arange(n_rows) * n_classes + y]
        if own is not None:
            others = (self.z @ self.ones - self.true) / (n_classes - 1)
            self.true = own * self.true + (1.0 - own) * others

    def derivatives(self, beta):
        # Row sums as matrix-vector products: faster than sum(axis=1) or einsum.
        e = np.exp(beta * self.z)
        total = e @ self.ones
        ez = e * self.z
        mean = (ez @ self.ones) / total
        ez *= self.z
        second = (ez @ self.ones) / total
        return np.dot(self.w, mean - self.true), np.dot(self.w, second - mean * mean)


def _row_max(z):
    """``z.max(axis=1)`` column by column: numpy reduces a short row axis ~6x slower."""
    top = z[:, 0].copy()
    for k in range(1, z.shape[1]):
        np.maximum(top, z[:, k], out=top)
    return top


def pooled_temperature(old, old_rows, new, new_rows):
    """The row-weighted mean of two temperatures in ``log T`` (a running estimate)."""
    return float(np.exp((old_rows * np.log(old) + new_rows * np.log(new))
                        / (old_rows + new_rows)))


def fit_temperature(scores, y, sample_weight=None, *, platt_targets=False):
    """Temperature minimising the weighted log loss of ``probabilities(scores, T)``.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Held-out decision scores; 1-D for a binary problem (positive class 1).
    y : ndarray of shape (n_samples,)
        Class codes: 0/1 for 1-D scores, column indices otherwise.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights (non-negative).
    platt_targets : bool, default=False
        Fit against Platt's (1999) smoothed targets instead of the labels: a row's own
        class carries ``(n + 1) / (n + 2)`` of the mass, ``n`` the number of rows of
        that class, and the rest is spread evenly over the other classes. Without it,
        scores that separate the classes drive ``T`` towards zero (probabilities of 0
        and 1 that a new row can contradict); with it ``T`` stays at a finite value.

    Returns
    -------
    temperature : float
        Positive and finite. 1.0 when the scores carry no information (all zero,
        none finite, or no weight).
    """
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y)
    w = np.ones(y.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    flat = scores.ravel()
    with np.errstate(over="ignore", invalid="ignore"):
        square = float(np.dot(flat, flat))
    if 0.0 < square < math.inf:  # every score finite and the sum of squares too
        r = math.sqrt(square / flat.size)
    else:
        finite = np.isfinite(scores)
        if not finite.all():  # an overflowed score tells nothing about the scale
            keep = finite if scores.ndim == 1 else finite.all(axis=1)
            scores, y, w = scores[keep], y[keep], w[keep]
        r = _scale(scores)
    total = w.sum()
    if r == 0.0 or total <= 0:
        return 1.0
    z = scores / r
    own = _platt_mass(y, 2 if z.ndim == 1 else z.shape[1]) if platt_targets else None
    problem = (_Binary if z.ndim == 1 else _Multiclass)(z, y, w / total, own)
    beta = _minimise(problem)
    return _bounded_temperature(r, beta)


def _platt_mass(y, n_classes):
    """Each row's share of the target on its own class: ``(n + 1) / (n + 2)``."""
    counts = np.bincount(y, minlength=n_classes)[y].astype(np.float64)
    return (counts + 1.0) / (counts + 2.0)


def _minimise(problem):
    """Safeguarded Newton in beta over [e^-LOG_RANGE, e^LOG_RANGE] (a bounded log range).

    The loss is convex in beta, so the sign of the derivative brackets the minimum.
    Left of the minimum, where the loss flattens towards a line, the Newton step in
    beta falls short and the one in log(beta) overshoots; their geometric mean is taken
    there (3-4 passes instead of 5-7 on perceptron scores). A step that leaves the
    bracket is replaced by a geometric bisection. Stops once the loss is provably
    within ``_GTOL`` of its minimum or a Newton step promises less than ``_DECREMENT``
    (:func:`_close_enough`), the bracket is narrower than ``_RTOL`` in log(beta), or a
    Newton step inside the bracket moves beta by less than ``_STEP_TOL`` (relative):
    that step is returned without another evaluation, since Newton's error after it is
    of the order of its square (below 1e-4 relative), which saves a vectorised pass.
    """
    lo, hi = math.exp(-LOG_RANGE), math.exp(LOG_RANGE)
    beta, last = 1.0, math.inf  # last: the previous step's relative size
    for _ in range(_MAX_ITER):
        grad, curvature = problem.derivatives(beta)
        if grad > 0:
            hi = beta
        else:
            lo = beta
        if _close_enough(beta, grad, curvature) or hi <= lo * (1.0 + _RTOL):
            break
        step = beta - grad / curvature if curvature > 0 else math.nan
        bend = grad * beta + curvature * beta * beta  # d2L / dlog(beta)2
        if grad < 0 and bend > 0 and step > beta:
            # Left of the minimum the loss flattens (nearly linear in beta) and the
            # step in beta falls short; a Newton step in log(beta) overshoots: take
            # the geometric mean of both (at most a factor e).
            step = math.sqrt(step * beta * math.exp(min(-grad * beta / bend, 1.0)))
        if not (lo < step < hi):
            step = math.sqrt(lo * hi)
        move = abs(step - beta) / beta
        if move < _STEP_TOL and last < _CONVERGING:
            return float(step)  # converged: its error is of the order of the step squared
        beta, last = step, move
    return float(beta)


def _close_enough(beta, grad, curvature):
    """Whether the search may stop at ``beta``.

    With ``grad >= 0`` the minimum lies in ``(0, beta]`` and convexity bounds the loss
    above it by ``grad * beta``. With ``grad < 0`` no such bound exists: on the flat
    left end (``beta`` near 0, nearly uniform probabilities) ``grad * beta`` is tiny
    far from the minimum, so there only Newton's decrement ``grad^2 / (2 curvature)``
    (the decrease its step predicts) may stop the search.
    """
    if grad >= 0 and grad * beta < _GTOL:
        return True
    return curvature > 0 and grad * grad < 2.0 * _DECREMENT * curvature


def _bounded_temperature(scale, beta):
    # T = scale / beta, kept a positive finite float whatever the scale.
    log_t = math.log(scale) - math.log(beta)
    return math.exp(min(max(log_t, _LOG_TINY), _LOG_HUGE))
