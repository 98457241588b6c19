"""The solvers on problems with known answers, and the epoch loop's control flow."""

import numpy as np
import pytest

from skperceptron import _solvers
from skperceptron._batches import Minibatches
from skperceptron._network import Objective, n_params, unpack
from skperceptron._optimizers import SGD, Adam
from skperceptron._solvers import (
    NoImprovement,
    Progress,
    StochasticSettings,
    Validation,
    lbfgs,
    stochastic,
)


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
    result = lbfgs(obj.value_and_grad, theta, X, Y, None, max_iter=500, max_fun=15000, tol=1e-10)
    np.testing.assert_allclose(theta, _lstsq_theta(X, Y), rtol=1e-5, atol=1e-6)
    assert 0 < result.n_iter <= 500
    assert result.stop_reason == _solvers.CONVERGED
    assert result.value == pytest.approx(obj.value_and_grad(theta, X, Y)[0])


def _run_stochastic(theta, X, Y, optimizer, progress=None, fun=None, hooks=None, **kwargs):
    """The epoch loop with the test defaults (no stop rule, shuffled batches of 32)."""
    options = dict(batch_size=32, max_iter=50, shuffle=True, tol=0.0, n_iter_no_change=np.inf)
    options.update(kwargs)
    units = [X.shape[1], Y.shape[1]]
    obj = Objective(units, [], "squared_error", 0.0, X.dtype, options["batch_size"])
    progress = progress or Progress()
    batches = Minibatches(X, Y, None, options["batch_size"], shuffle=options["shuffle"], seed=0)
    validation = options.get("validation_score")
    settings = StochasticSettings(
        max_epochs=options["max_iter"],
        stop_rule=NoImprovement(
            options["tol"], options["n_iter_no_change"], validation is not None
        ),
        validation=None if validation is None else Validation(validation),
    )
    result = stochastic(
        fun or obj.value_and_grad, theta, batches, optimizer, progress, settings, hooks
    )
    return result, progress


def test_the_l2_term_in_the_step_refuses_gradient_clipping():
    # Clipping needs the norm of the whole gradient, L2 term included.
    with pytest.raises(ValueError, match="max_grad_norm"):
        StochasticSettings(max_epochs=1, stop_rule=NoImprovement(0.0, 10, False),
                           max_grad_norm=1.0, l2_in_step=True)


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
        result, _ = _run_stochastic(b, X, Y, opt, progress, max_iter=1)
        assert result.n_epochs == 1
    np.testing.assert_array_equal(a, b)
    assert progress.epoch == 5 and progress.t == 5 * len(X)


def test_no_improvement_stop_counts_epochs():
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    # A zero learning rate keeps the loss constant: the stop fires after
    # n_iter_no_change + 1 epochs without improvement, i.e. at epoch n + 2.
    result, progress = _run_stochastic(
        theta, X, Y, SGD(theta, learning_rate_init=1e-300), max_iter=100, tol=1e-4,
        n_iter_no_change=3,
    )
    assert (result.n_epochs, result.stop_reason) == (5, _solvers.NO_IMPROVEMENT)
    assert progress.no_improvement_count == 4


def test_infinite_patience_runs_to_max_epochs():
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    result, _ = _run_stochastic(
        theta, X, Y, SGD(theta, learning_rate_init=1e-300), max_iter=7, shuffle=False, tol=1e9
    )
    assert (result.n_epochs, result.stop_reason) == (7, _solvers.MAX_EPOCHS)


def test_early_stopping_restores_the_best_epoch():
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    scores = iter([0.1, 0.5, 0.3, 0.2, 0.25, 0.1, 0.0, 0.0])
    seen = []

    def validation_score(t):
        seen.append(t.copy())
        return next(scores)

    progress = Progress(validation_scores=[], best_validation_score=-np.inf, best_loss=None)
    result, progress = _run_stochastic(
        theta, X, Y, Adam(theta, learning_rate_init=0.01), progress,
        max_iter=8, tol=0.0, n_iter_no_change=3, validation_score=validation_score,
    )
    # Best at epoch 2; epochs 3..6 do not improve, the stop fires after epoch 6.
    assert result.n_epochs == 6
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

    result, _ = _run_stochastic(
        theta, X, Y, SGD(theta, learning_rate_init=0.01), fun=objective,
        batch_size=50, max_iter=10, shuffle=False,
    )
    assert (result.n_epochs, result.finite_epochs) == (4, 3)
    assert result.stop_reason == _solvers.DIVERGED
    # The weights after epoch 3 are those epoch 4's first batch started from.
    np.testing.assert_array_equal(theta, seen[3 * n_batches])


def test_a_diverged_epoch_is_never_the_best_one():
    # A user's scorer may rate the fallback predictions of non-finite weights highly
    # (here 0.9 for the diverged epoch 4): the best finite epoch, 2, is restored.
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    inner = Objective([4, 2], [], "squared_error", 0.0, np.float64, 50)
    scores = iter([0.1, 0.5, 0.3, 0.9])
    seen = []

    def objective(t, Xb, Yb, sw):
        value, grad = inner.value_and_grad(t, Xb, Yb, sw)
        return value, grad * (np.inf if len(seen) == 3 else 1.0)  # epoch 4 overflows

    def validation_score(t):
        seen.append(t.copy())
        return next(scores)

    progress = Progress(validation_scores=[], best_validation_score=-np.inf, best_loss=None)
    with np.errstate(all="ignore"):  # the overflowing step
        result, progress = _run_stochastic(
            theta, X, Y, SGD(theta, learning_rate_init=0.01), progress, fun=objective,
            batch_size=50, max_iter=10, shuffle=False, validation_score=validation_score,
        )
    assert (result.n_epochs, result.finite_epochs) == (4, 3)
    assert result.stop_reason == _solvers.DIVERGED
    assert not np.isfinite(seen[3]).all()
    assert progress.best_validation_score == 0.5
    np.testing.assert_array_equal(theta, seen[1])


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

    result, _ = _run_stochastic(
        theta, X, Y, SGD(theta, learning_rate_init=0.01), fun=objective,
        batch_size=50, max_iter=10, shuffle=False,
    )
    assert (result.n_epochs, result.stop_reason) == (2, _solvers.INTERRUPTED)
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
    result = lbfgs(objective, theta, X, Y, None, max_iter=100, max_fun=1000, tol=0.0)
    assert result.stop_reason == _solvers.INTERRUPTED
    value = result.value
    assert value == min(values)
    assert inner.value_and_grad(theta, X, Y)[0] == pytest.approx(min(values))
    coefs, _ = unpack(theta, units)
    assert np.isfinite(coefs[0]).all()


def test_lbfgs_interrupt_counts_the_iterations_done():
    X, Y = _linear_problem()
    units = [4, 2]
    inner = Objective(units, [], "squared_error", 0.0, np.float64, len(X))
    # Oracle: how many evaluations uninterrupted runs of k iterations need.
    evaluations = []
    for k in range(1, 8):
        count = []
        lbfgs(lambda t, *a, count=count: (count.append(1), inner.value_and_grad(t, *a))[1],
              np.zeros(n_params(units)), X, Y, None, max_iter=k, max_fun=1000, tol=0.0)
        evaluations.append(len(count))
    calls = []

    def objective(t, Xb, Yb, sw):
        calls.append(1)
        if len(calls) == evaluations[4] + 1:  # the first evaluation after iteration 5
            raise KeyboardInterrupt
        return inner.value_and_grad(t, Xb, Yb, sw)

    result = lbfgs(
        objective, np.zeros(n_params(units)), X, Y, None, max_iter=100, max_fun=1000, tol=0.0
    )
    assert result.stop_reason == _solvers.INTERRUPTED
    assert result.n_iter == 5


# ------------------------------------------------------------------ hooks
class Recorder:
    """Hooks that log every call and ask to stop after epoch ``stop_at`` (0-based)."""

    def __init__(self, stop_at=None):
        self.events, self.records, self.thetas = [], [], []
        self.stop_at = stop_at

    def epoch_begin(self, epoch):
        self.events.append(("begin", epoch))

    def epoch_end(self, epoch, record):
        self.events.append(("end", epoch))
        self.records.append(record)
        self.thetas.append(np.array(record.theta, copy=True))
        return epoch == self.stop_at


def test_hooks_are_called_around_each_epoch_with_its_record():
    X, Y = _linear_problem()
    theta = np.zeros(n_params([4, 2]))
    # A model that trained 4 epochs before, with early stopping.
    progress = Progress(epoch=4, t=800, validation_scores=[], best_validation_score=-np.inf)
    scores = iter([0.3, 0.1, 0.2])
    hooks = Recorder()
    result, progress = _run_stochastic(
        theta, X, Y, Adam(theta, learning_rate_init=0.01), progress, hooks=hooks,
        max_iter=3, validation_score=lambda t: next(scores),
    )
    assert hooks.events == [
        ("begin", 0), ("end", 0), ("begin", 1), ("end", 1), ("begin", 2), ("end", 2)
    ]
    assert [r.epoch for r in hooks.records] == [1, 2, 3]
    assert [r.total_epochs for r in hooks.records] == [5, 6, 7]
    assert [r.loss for r in hooks.records] == progress.loss_curve
    assert [r.validation_score for r in hooks.records] == [0.3, 0.1, 0.2]
    assert all(r.validation_loss is None for r in hooks.records)
    assert result.n_epochs == 3 and result.stop_reason == _solvers.MAX_EPOCHS


def test_a_hook_stop_keeps_that_epochs_weights():
    X, Y = _linear_problem()
    reference = np.zeros(n_params([4, 2]))
    _run_stochastic(reference, X, Y, SGD(reference, learning_rate_init=0.01), max_iter=2)
    theta = np.zeros_like(reference)
    hooks = Recorder(stop_at=1)
    result, progress = _run_stochastic(
        theta, X, Y, SGD(theta, learning_rate_init=0.01), hooks=hooks, max_iter=50
    )
    assert (result.n_epochs, result.stop_reason) == (2, _solvers.HOOK)
    assert len(progress.loss_curve) == 2
    np.testing.assert_array_equal(theta, reference)
    np.testing.assert_array_equal(hooks.thetas[-1], reference)


def test_hooks_that_never_stop_change_nothing():
    X, Y = _linear_problem()
    plain = np.zeros(n_params([4, 2]))
    _run_stochastic(plain, X, Y, Adam(plain, learning_rate_init=0.01), max_iter=5)
    hooked = np.zeros_like(plain)
    _run_stochastic(
        hooked, X, Y, Adam(hooked, learning_rate_init=0.01), hooks=Recorder(), max_iter=5
    )
    np.testing.assert_array_equal(plain, hooked)


def test_lbfgs_hooks_see_each_iteration_and_can_stop_it():
    X, Y = _linear_problem()
    units = [4, 2]
    obj = Objective(units, [], "squared_error", 0.0, np.float64, len(X))
    hooks = Recorder()
    theta = np.zeros(n_params(units))
    result = lbfgs(
        obj.value_and_grad, theta, X, Y, None, max_iter=6, max_fun=1000, tol=0.0, hooks=hooks
    )
    expected = [e for i in range(result.n_iter) for e in (("begin", i), ("end", i))]
    assert hooks.events == expected and result.n_iter == 6
    # Each loss is the objective at its theta.
    for record, x in zip(hooks.records, hooks.thetas, strict=True):
        assert record.loss == pytest.approx(obj.value_and_grad(x, X, Y)[0], rel=1e-12)

    reference = np.zeros(n_params(units))
    lbfgs(obj.value_and_grad, reference, X, Y, None, max_iter=3, max_fun=1000, tol=0.0)
    stopped = np.zeros(n_params(units))
    result = lbfgs(obj.value_and_grad, stopped, X, Y, None, max_iter=100, max_fun=1000, tol=0.0,
                   hooks=Recorder(stop_at=2))
    assert (result.n_iter, result.stop_reason) == (3, _solvers.HOOK)
    np.testing.assert_array_equal(stopped, reference)
    assert result.value == pytest.approx(obj.value_and_grad(stopped, X, Y)[0], rel=1e-12)
