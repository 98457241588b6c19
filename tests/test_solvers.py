"""The solvers on problems with known answers, and the epoch loop's control flow."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skperceptron._network import Objective, n_params, unpack
from skperceptron._optimizers import SGD, Adam
from skperceptron._solvers import Progress, lbfgs, stochastic


def _linear_problem(n=200, d=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    Y = X @ rng.normal(size=(d, 2)) + rng.normal(size=2) + 0.1 * rng.normal(size=(n, 2))
    return X, Y


def _lstsq_theta(X, Y):
    # Oracle: ordinary least squares with an intercept column.
    A = np.hstack([X, np.ones((len(X), 1))])
    beta = np.linalg.lstsq(A, Y, rcond=None)[0]
    return np.concatenate([beta[:-1].ravel(), beta[-1]])


def test_lbfgs_without_hidden_layer_is_least_squares():
    X, Y = _linear_problem()
    units = [X.shape[1], Y.shape[1]]
    obj = Objective(units, [], "squared_error", 0.0, np.float64, len(X))
    theta = np.zeros(n_params(units))
    n_iter, value = lbfgs(obj.value_and_grad, theta, X, Y, None, max_iter=500, max_fun=15000, tol=1e-10)
    np.testing.assert_allclose(theta, _lstsq_theta(X, Y), rtol=1e-5, atol=1e-6)
    assert 0 < n_iter <= 500
    assert value == pytest.approx(obj.value_and_grad(theta, X, Y)[0])


def _run_stochastic(theta, X, Y, optimizer, progress=None, **kwargs):
    units = [X.shape[1], Y.shape[1]]
    obj = Objective(units, [], "squared_error", 0.0, X.dtype, kwargs.get("batch_size", 32))
    progress = progress or Progress()
    params = dict(batch_size=32, max_iter=50, shuffle=True, seed=0, tol=0.0, n_iter_no_change=np.inf)
    params.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = stochastic(obj.value_and_grad, theta, X, Y, None, optimizer, progress, **params)
    return result, progress


@pytest.mark.parametrize("make_optimizer", [
    lambda t: Adam(t, learning_rate_init=0.05),
    lambda t: SGD(t, learning_rate_init=0.05, momentum=0.9),
])
def test_stochastic_solvers_reach_least_squares(make_optimizer):
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    _run_stochastic(theta, X, Y, make_optimizer(theta), max_iter=300)
    np.testing.assert_allclose(theta, _lstsq_theta(X, Y), atol=0.05)


def test_incremental_calls_replay_one_call_exactly():
    X, Y = _linear_problem()
    a = np.zeros(n_params([4, 2]))
    _run_stochastic(a, X, Y, Adam(a), max_iter=5)

    b = np.zeros_like(a)
    opt = Adam(b)
    progress = Progress()
    for _ in range(5):
        (n_iter, _), _ = _run_stochastic(b, X, Y, opt, progress, incremental=True)
        assert n_iter == 1
    np.testing.assert_array_equal(a, b)
    assert progress.epoch == 5 and progress.t == 5 * len(X)


def test_no_improvement_stop_counts_epochs():
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    # A zero learning rate keeps the loss constant: the stop fires after
    # n_iter_no_change + 1 epochs without improvement, i.e. at epoch n + 2.
    (n_iter, _), progress = _run_stochastic(
        theta, X, Y, SGD(theta, learning_rate_init=1e-300), max_iter=100, tol=1e-4, n_iter_no_change=3
    )
    assert n_iter == 5
    assert progress.no_improvement_count == 4


def test_infinite_patience_runs_to_max_iter_and_warns():
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    units = [4, 2]
    obj = Objective(units, [], "squared_error", 0.0, np.float64, 32)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        n_iter, _ = stochastic(
            obj.value_and_grad, theta, X, Y, None, SGD(theta, learning_rate_init=1e-300),
            Progress(), batch_size=32, max_iter=7, shuffle=False, seed=0, tol=1e9,
            n_iter_no_change=np.inf,
        )
    assert n_iter == 7


def test_early_stopping_restores_the_best_epoch():
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    scores = iter([0.1, 0.5, 0.3, 0.2, 0.25, 0.1, 0.0, 0.0])
    seen = []

    def validation_score(t):
        seen.append(t.copy())
        return next(scores)

    progress = Progress(validation_scores=[], best_validation_score=-np.inf, best_loss=None)
    (n_iter, _), progress = _run_stochastic(
        theta, X, Y, Adam(theta, learning_rate_init=0.01), progress,
        max_iter=8, tol=0.0, n_iter_no_change=3, validation_score=validation_score,
    )
    # Best at epoch 2; epochs 3..6 do not improve, the stop fires after epoch 6.
    assert n_iter == 6
    assert progress.best_validation_score == 0.5
    np.testing.assert_array_equal(theta, seen[1])


def test_divergence_keeps_last_finite_epoch():
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    inner = Objective([4, 2], [], "squared_error", 0.0, np.float64, 50)
    n_batches = 4  # 200 samples / 50
    seen = []

    def objective(t, Xb, Yb, sw):
        seen.append(t.copy())
        value, grad = inner.value_and_grad(t, Xb, Yb, sw)
        # From epoch 4 on, the loss overflows.
        return (np.inf if len(seen) > 3 * n_batches else value), grad

    with pytest.warns(ConvergenceWarning, match="diverged"):
        n_iter, finite = stochastic(
            objective, theta, X, Y, None, SGD(theta, learning_rate_init=0.01), Progress(),
            batch_size=50, max_iter=10, shuffle=False, seed=0, tol=0.0, n_iter_no_change=np.inf,
        )
    assert (n_iter, finite) == (4, 3)
    # The weights after epoch 3 are those epoch 4's first batch started from.
    np.testing.assert_array_equal(theta, seen[3 * n_batches])


def test_keyboard_interrupt_keeps_last_completed_epoch():
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    inner = Objective([4, 2], [], "squared_error", 0.0, np.float64, 50)
    calls = []
    after_epoch = {}

    def objective(t, Xb, Yb, sw):
        calls.append(1)
        if len(calls) == 4 * 2 + 1:  # first batch of epoch 3 (batches 1..4 per epoch)
            after_epoch["2"] = t.copy()
        if len(calls) == 4 * 2 + 3:
            raise KeyboardInterrupt
        return inner.value_and_grad(t, Xb, Yb, sw)

    with pytest.warns(UserWarning, match="interrupted"):
        stochastic(
            objective, theta, X, Y, None, SGD(theta, learning_rate_init=0.01), Progress(),
            batch_size=50, max_iter=10, shuffle=False, seed=0, tol=0.0, n_iter_no_change=np.inf,
        )
    np.testing.assert_array_equal(theta, after_epoch["2"])


def test_lbfgs_interrupt_keeps_best_evaluated_point():
    X, Y = _linear_problem()
    units = [4, 2]
    inner = Objective(units, [], "squared_error", 0.0, np.float64, len(X))
    values = []

    def objective(t, Xb, Yb, sw):
        if len(values) == 6:
            raise KeyboardInterrupt
        value, grad = inner.value_and_grad(t, Xb, Yb, sw)
        values.append(value)
        return value, grad

    theta = np.zeros(n_params(units))
    with pytest.warns(UserWarning, match="interrupted"):
        _, value = lbfgs(objective, theta, X, Y, None, max_iter=100, max_fun=1000, tol=0.0)
    assert value == min(values)
    assert inner.value_and_grad(theta, X, Y)[0] == pytest.approx(min(values))
    coefs, _ = unpack(theta, units)
    assert np.isfinite(coefs[0]).all()
