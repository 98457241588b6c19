"""Temperature calibration against scipy's bounded scalar search and closed forms."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

from skperceptron._calibration import fit_temperature, log_probabilities, probabilities

RNG = np.random.RandomState(0)
N = 400
S_BIN = RNG.randn(N) * 4
Y_BIN = (S_BIN + RNG.randn(N) * 3 > 0).astype(int)
Y_MC = RNG.randint(4, size=N)
S_MC = RNG.randn(N, 4) * 2
S_MC[np.arange(N), Y_MC] += 3
W = RNG.uniform(0, 3, N)


def _log_loss_of_log_t(scores, y, w):
    """The weighted log loss as a function of log T (the oracle's objective)."""
    if scores.ndim == 1:
        signed = np.where(y == 1, scores, -scores)

        def loss(log_t):
            return np.dot(w, np.logaddexp(0, -signed * np.exp(-log_t)))
    else:
        rows = np.arange(scores.shape[0])

        def loss(log_t):
            return -np.dot(w, log_softmax(scores * np.exp(-log_t), axis=1)[rows, y])
    return loss


def _oracle(scores, y, w):
    # The weighted log loss minimised over log T by scipy's bounded search.
    best = minimize_scalar(_log_loss_of_log_t(scores, y, w), bounds=(-8, 8),
                           method="bounded", options={"xatol": 1e-10})
    return np.exp(best.x)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("weighted", [False, True])
def test_temperature_minimises_the_weighted_log_loss(kind, weighted):
    scores, y = (S_BIN, Y_BIN) if kind == "binary" else (S_MC, Y_MC)
    w = W if weighted else np.ones(N)
    T = fit_temperature(scores, y, w if weighted else None)
    np.testing.assert_allclose(T, _oracle(scores, y, w), rtol=1e-3)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
def test_temperature_follows_the_score_scale(kind, scale):
    scores, y = (S_BIN, Y_BIN) if kind == "binary" else (S_MC, Y_MC)
    T = fit_temperature(scores, y)
    np.testing.assert_allclose(fit_temperature(scores * scale, y), T * scale, rtol=1e-6)


def test_uninformative_scores_give_unit_temperature():
    assert fit_temperature(np.zeros(10), np.arange(10) % 2) == 1.0
    assert fit_temperature(np.ones(4), np.array([0, 1, 0, 1]), np.zeros(4)) == 1.0


def test_separable_scores_give_confident_finite_probabilities():
    # No finite minimiser: the search stops where the loss has flattened out.
    s = np.array([-3.0, -1.0, 2.0, 5.0])
    y = (s > 0).astype(int)
    T = fit_temperature(s, y)
    assert 0 < T < 1.0 and np.isfinite(T)
    assert -np.mean(np.log(probabilities(s, T)[np.arange(4), y])) < 1e-4


def test_anticorrelated_scores_give_near_uniform_probabilities():
    T = fit_temperature(S_BIN, 1 - (S_BIN > 0).astype(int))
    assert np.abs(probabilities(S_BIN, T) - 0.5).max() < 1e-6


def test_probabilities_closed_forms_and_extremes():
    s = np.array([-1e308, -700.0, -1.0, 0.0, 1.0, 700.0, 1e308, np.inf, -np.inf])
    p = probabilities(s, 2.0)
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-np.clip(s / 2.0, -800, 800)))
    np.testing.assert_allclose(p[:, 1], expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    assert np.isfinite(p).all()
    S = np.array([[1e308, -1e308, 0.0], [np.inf, np.inf, 1.0], [-np.inf] * 3, [1.0, 2.0, 3.0]])
    P = probabilities(S, 0.5)
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(P[0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(P[1], [0.5, 0.5, 0.0])  # tied infinite scores share
    np.testing.assert_allclose(P[2], 1 / 3)
    e = np.exp(np.array([1.0, 2.0, 3.0]) / 0.5)
    np.testing.assert_allclose(P[3], e / e.sum(), rtol=1e-12)


def test_log_probabilities_stay_finite_where_probabilities_underflow():
    s = np.array([-1e4, -3.0, 0.0, 3.0, 1e4])
    logp = log_probabilities(s, 1.0)
    assert np.isfinite(logp).all()
    np.testing.assert_allclose(logp[:, 0], -np.logaddexp(0, s), rtol=1e-12)
    np.testing.assert_allclose(np.exp(logp), probabilities(s, 1.0), rtol=1e-12, atol=1e-300)
    S = np.array([[0.0, -2e4, 5.0], [1.0, 2.0, 3.0]])
    np.testing.assert_allclose(log_probabilities(S, 2.0), log_softmax(S / 2.0, axis=1))


def _random_problem(seed, n_classes):
    rng = np.random.RandomState(seed)
    n, noise, scale = 300, rng.uniform(0.5, 4), 10 ** rng.uniform(-3, 3)
    if n_classes == 2:
        s = rng.randn(n)
        return s * scale, (s + noise * rng.randn(n) > 0).astype(int), rng.uniform(0, 2, n)
    y = rng.randint(n_classes, size=n)
    s = rng.randn(n, n_classes) * noise
    s[np.arange(n), y] += rng.uniform(0.5, 4)
    return s * scale, y, rng.uniform(0, 2, n)


@pytest.mark.parametrize("platt_targets", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("seed", range(8))
def test_temperature_matches_a_tight_bounded_search(seed, n_classes, platt_targets):
    # Random score scales and noise levels, so the search starts far from the minimum;
    # the loss against the labels, or against Platt's targets written out as a matrix.
    scores, y, w = _random_problem(seed, n_classes)
    centre = np.log(np.sqrt(np.mean(scores ** 2)))
    oracle = _smoothed_log_loss_of_log_t if platt_targets else _log_loss_of_log_t
    loss = oracle(scores, y, w)
    best = minimize_scalar(loss, bounds=(centre - 10, centre + 10), method="bounded",
                           options={"xatol": 1e-11})
    T = fit_temperature(scores, y, w, platt_targets=platt_targets)
    np.testing.assert_allclose(T, np.exp(best.x), rtol=1e-3)
    assert loss(np.log(T)) <= best.fun * (1 + 1e-7)


# ------------------------------------------------------ Platt's smoothed targets
def _platt_targets(y, n_classes):
    """The target matrix written out: (n + 1) / (n + 2) on the row's class, n its row
    count, the rest shared evenly by the other classes (Platt, 1999)."""
    counts = np.bincount(y, minlength=n_classes)
    own = (counts[y] + 1.0) / (counts[y] + 2.0)
    targets = np.repeat(((1.0 - own) / (n_classes - 1))[:, None], n_classes, axis=1)
    targets[np.arange(y.shape[0]), y] = own
    return targets


def _smoothed_log_loss_of_log_t(scores, y, w):
    if scores.ndim == 1:
        targets = _platt_targets(y, 2)

        def loss(log_t):
            z = scores * np.exp(-log_t)
            per_row = targets[:, 1] * np.logaddexp(0, -z) + targets[:, 0] * np.logaddexp(0, z)
            return np.dot(w, per_row)
    else:
        targets = _platt_targets(y, scores.shape[1])

        def loss(log_t):
            return -np.dot(w, (targets * log_softmax(scores * np.exp(-log_t), axis=1)).sum(1))
    return loss


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_platt_targets_keep_separable_scores_from_collapsing(kind):
    # Separating scores: the labels' log loss falls all the way to T -> 0; the smoothed
    # targets have a finite minimiser, which the search finds.
    if kind == "binary":
        scores, y = np.array([-3.0, -1.0, -0.5, 2.0, 5.0, 0.7]), np.array([0, 0, 0, 1, 1, 1])
    else:
        y = np.array([0, 1, 2, 0, 1, 2, 1])
        scores = np.full((7, 3), -1.0)
        scores[np.arange(7), y] = [2.0, 0.5, 3.0, 1.0, 4.0, 0.2, 1.5]
    hard, soft = fit_temperature(scores, y), fit_temperature(scores, y, platt_targets=True)
    best = minimize_scalar(_smoothed_log_loss_of_log_t(scores, y, np.ones(y.shape[0])),
                           bounds=(-10, 10), method="bounded", options={"xatol": 1e-11})
    np.testing.assert_allclose(soft, np.exp(best.x), rtol=1e-3)
    assert soft > 10 * hard


@pytest.mark.parametrize("platt_targets", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("seed", range(6))
def test_weak_scores_are_not_stopped_on_the_flat_left_end(seed, n_classes, platt_targets):
    # Scores that carry little signal: the minimiser is a large T, and the search passes
    # through tiny beta (nearly uniform probabilities), where the loss is flat in
    # log(beta) although the minimum is far to the right.
    rng = np.random.RandomState(100 + seed)
    n = 500
    y = rng.randint(n_classes, size=n)
    if n_classes == 2:
        scores = 0.2 * (2 * y - 1) + rng.randn(n)
    else:
        scores = rng.randn(n, n_classes)
        scores[np.arange(n), y] += 0.3
    w = np.ones(n)
    oracle = _smoothed_log_loss_of_log_t if platt_targets else _log_loss_of_log_t
    loss = oracle(scores, y, w)
    best = minimize_scalar(loss, bounds=(-10, 20), method="bounded",
                           options={"xatol": 1e-11})
    T = fit_temperature(scores, y, platt_targets=platt_targets)
    np.testing.assert_allclose(T, np.exp(best.x), rtol=1e-3)
