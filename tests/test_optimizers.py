"""SGD and Adam against closed-form updates and a textbook reference."""

import numpy as np
import pytest

from skperceptron._optimizers import SGD, Adam


def _grads(n_steps, size=6, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=size).astype(dtype) for _ in range(n_steps)]


def test_plain_sgd_is_theta_minus_lr_grad():
    theta = np.ones(6)
    opt = SGD(theta, learning_rate_init=0.1, momentum=0.0, nesterov=False)
    expected = theta.copy()
    for g in _grads(3):
        opt.step(theta, g)
        expected -= 0.1 * g
    np.testing.assert_allclose(theta, expected, rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_closed_form(nesterov):
    lr, m = 0.05, 0.9
    theta = np.zeros(6)
    opt = SGD(theta, learning_rate_init=lr, momentum=m, nesterov=nesterov)
    g1, g2, g3 = _grads(3)
    for g in (g1, g2, g3):
        opt.step(theta, g)
    v1 = -lr * g1
    v2 = m * v1 - lr * g2
    v3 = m * v2 - lr * g3
    if nesterov:
        expected = (m * v1 - lr * g1) + (m * v2 - lr * g2) + (m * v3 - lr * g3)
    else:
        expected = v1 + v2 + v3
    np.testing.assert_allclose(theta, expected, rtol=1e-13)


def test_invscaling_schedule():
    opt = SGD(np.zeros(2), learning_rate_init=0.5, lr_schedule="invscaling", power_t=0.25)
    assert opt.learning_rate == 0.5  # unchanged within the first epoch
    opt.epoch_end(8)
    assert opt.learning_rate == pytest.approx(0.5 / 9**0.25)


def test_constant_schedule_ignores_epochs_and_stops_on_plateau():
    opt = SGD(np.zeros(2), learning_rate_init=0.5)
    opt.epoch_end(100)
    assert opt.learning_rate == 0.5
    assert opt.on_plateau() is True


def test_adaptive_schedule_divides_by_five_then_stops():
    opt = SGD(np.zeros(2), learning_rate_init=1e-4, lr_schedule="adaptive")
    rates = []
    while not opt.on_plateau():
        rates.append(opt.learning_rate)
    np.testing.assert_allclose(rates, [2e-5, 4e-6, 8e-7])
    assert opt.learning_rate <= 1e-6


def _adam_reference(theta, grads, lr, b1, b2, eps):
    """Kingma & Ba (2014), Algorithm 1 with the more efficient order of section 2:
    ``alpha_t = lr * sqrt(1 - b2^t) / (1 - b1^t)``, ``theta -= alpha_t m / (sqrt(v) + eps)``
    (scikit-learn's convention too)."""
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        alpha_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        theta = theta - alpha_t * m / (np.sqrt(v) + eps)
    return theta


def test_adam_matches_textbook_algorithm():
    theta = np.linspace(-1, 1, 6)
    grads = _grads(5)
    expected = _adam_reference(theta.copy(), grads, 0.01, 0.9, 0.999, 1e-8)
    opt = Adam(theta, learning_rate_init=0.01)
    for g in grads:
        opt.step(theta, g)
    np.testing.assert_allclose(theta, expected, rtol=1e-12)
    assert opt.state["t"] == 5


@pytest.mark.parametrize("Optimizer", [SGD, Adam])
def test_float32_stays_float32(Optimizer):
    theta = np.ones(6, dtype=np.float32)
    opt = Optimizer(theta)
    for g in _grads(2, dtype=np.float32):
        opt.step(theta, g)
    assert theta.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state.values() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("Optimizer", [SGD, Adam])
def test_state_round_trip_continues_exactly(Optimizer):
    # Rebuilding an optimizer from its state (as partial_fit does) continues the run.
    grads = _grads(4)
    a = np.ones(6)
    opt = Optimizer(a)
    for g in grads:
        opt.step(a, g)
    b = np.ones(6)
    first = Optimizer(b)
    for g in grads[:2]:
        first.step(b, g)
    state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in first.state.items()}
    second = Optimizer(b, state=state)
    for g in grads[2:]:
        second.step(b, g)
    np.testing.assert_array_equal(a, b)
