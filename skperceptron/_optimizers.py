"""First-order optimizers updating the flat parameter vector in place.

Each optimizer is a small object built from hyperparameters plus a *state* dict of plain
data (arrays and scalars). The estimator stores only that dict, so a fitted model holds
no helper objects, pickles compactly and continues exactly under ``partial_fit``.

``step(theta, grad)`` applies one update in place, in one pass over the arrays (the
compiled kernels of ``_fused``; numpy's formula, with identical rounding, when they do
not apply); scalars are Python floats so float32 stays float32.

Step-size schedules that depend on the step count are entries of :data:`SCHEDULES`
(a multiplier of ``learning_rate_init``, a function of the fraction of post-warm-up
steps done); an optional linear warm-up comes first, multiplying the rate. Decoupled
weight decay (Loshchilov & Hutter's AdamW, and the same for SGD) shrinks the weights,
the first ``n_decay`` entries of theta, by ``scheduled_rate * weight_decay`` per step,
independently of the gradient.

The protocol the epoch loop (``_solvers.stochastic``) relies on:

- ``step(theta, grad, l2=None)``: one update of ``theta`` in place; may keep no
  reference to ``grad`` (the objective overwrites it at the next call). ``l2`` (numpy
  only), a record with ``coef`` and ``n``, is an L2 term the gradient still lacks,
  ``coef * theta[:n]``, which the step adds inside its own pass over the arrays
  (``Objective.value_and_data_grad``).
- ``epoch_end(t)``: after each finite epoch, ``t`` the samples seen so far
  (scikit-learn's ``invscaling`` updates its rate here).
- ``on_plateau(message)``: the no-improvement rule fired; True means stop training,
  False that the optimizer adapted instead (``adaptive`` divides its rate by 5).
  ``message`` (None unless verbose) says what fired; the optimizer prints it with
  what it does, as scikit-learn's ``trigger_stopping``.
- ``state``: a dict of arrays and Python scalars, everything a later call needs to
  continue exactly; :func:`make_optimizer` rebuilds an optimizer from it. Every
  method reads it through ``self.state``: the loop rolls a diverged or interrupted
  epoch back by assigning a copy taken at the previous epoch's end.

Adding an optimizer is a class with these four members and an entry in
:data:`OPTIMIZERS` (its key becomes a ``solver`` option).
"""

import math
from dataclasses import dataclass, fields, replace
from functools import partial

import numpy as np

from . import _array_steps, _fused


def _constant(progress):
    return 1.0


def _cosine(progress):
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


# option string -> multiplier of learning_rate_init, given the fraction of the
# (post-warm-up) steps done. scikit-learn's epoch-based 'invscaling' and 'adaptive'
# live in SGD itself and multiply by 1 here.
SCHEDULES = {
    "constant": _constant,
    "invscaling": _constant,
    "adaptive": _constant,
    "cosine": _cosine,
}


def _say(message, outcome):
    if message is not None:
        print(f"{message} {outcome}")


class _Optimizer:
    def __init__(
        self,
        theta,
        learning_rate_init,
        *,
        schedule="constant",
        total_steps=None,
        warmup_steps=0,
        weight_decay=0.0,
        n_decay=None,
        ops=None,
    ):
        self.ops = ops
        self.learning_rate_init = float(learning_rate_init)
        self.schedule = schedule
        self.total_steps = total_steps
        self.warmup_steps = int(warmup_steps)
        self.weight_decay = float(weight_decay)
        self.n_decay = theta.size if n_decay is None else int(n_decay)

    def _multiplier(self, step):
        """Schedule and warm-up factor of the learning rate at 0-based ``step``."""
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        if not self.total_steps:
            return SCHEDULES[self.schedule](0.0)
        span = max(self.total_steps - self.warmup_steps, 1)
        return SCHEDULES[self.schedule]((step - self.warmup_steps) / span)

    def _decay_factor(self, rate):
        """``(n_decay, factor)`` of this step's weight decay, for the fused kernels."""
        if self.weight_decay:
            return self.n_decay, 1.0 - rate * self.weight_decay
        return 0, 1.0

    def _zeros_like(self, theta):
        return np.zeros_like(theta) if self.ops is None else self.ops.zeros_like(theta)

    @staticmethod
    def _l2_arguments(l2):
        """The kernels' keyword arguments for an L2 term left to the step."""
        return {} if l2 is None else {"l2": l2.coef, "n_l2": l2.n}

    def _step_body(self, name):
        """The update function ``name`` of ``_fused`` (numpy) or of ``_array_steps``."""
        if self.ops is None:
            return getattr(_fused, name)
        return partial(getattr(_array_steps, name), self.ops.xp)

    def epoch_end(self, t):
        pass

    def on_plateau(self, message=None):
        """Called when the no-improvement criterion fires; True means stop training.
        ``message`` (verbose only): what fired, printed with what is done about it, in
        scikit-learn's words."""
        _say(message, "Stopping.")
        return True


class SGD(_Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum and scikit-learn's schedules.

    State: ``velocity`` (array), ``learning_rate`` (float, scikit-learn's epoch-level
    rate) and ``step`` (int).

    - ``"constant"``: the rate stays ``learning_rate_init``.
    - ``"invscaling"``: at each epoch end, ``learning_rate_init / (t + 1) ** power_t``
      with ``t`` the number of samples seen.
    - ``"adaptive"``: divided by 5 whenever the no-improvement criterion fires; training
      stops once it would go below 1e-6.
    - ``"cosine"``: cosine annealing to 0 over ``total_steps``.
    """

    def __init__(
        self,
        theta,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
        state=None,
        **schedule_and_decay,
    ):
        super().__init__(theta, learning_rate_init, schedule=lr_schedule, **schedule_and_decay)
        self.lr_schedule = lr_schedule
        self.momentum = float(momentum)
        self.nesterov = nesterov
        self.power_t = float(power_t)
        if state is None:
            state = {
                "learning_rate": self.learning_rate_init,
                "velocity": self._zeros_like(theta),
                "step": 0,
            }
        self.state = state
        self._update = self._step_body("sgd_update")

    @property
    def learning_rate(self):
        return self.state["learning_rate"]

    def step(self, theta, grad, l2=None):
        s = self.state
        lr = self.learning_rate * self._multiplier(s.get("step", 0))
        s["step"] = s.get("step", 0) + 1
        n_decay, decay = self._decay_factor(lr)
        # v <- m v - lr g;  theta += m v - lr g (Nesterov) or theta += v
        self._update(theta, grad, s["velocity"], lr, self.momentum, self.nesterov,
                     n_decay, decay, **self._l2_arguments(l2))

    def epoch_end(self, t):
        if self.lr_schedule == "invscaling":
            self.state["learning_rate"] = self.learning_rate_init / (t + 1) ** self.power_t

    def on_plateau(self, message=None):
        if self.lr_schedule != "adaptive":
            return super().on_plateau(message)
        if self.learning_rate <= 1e-6:
            _say(message, "Learning rate too small. Stopping.")
            return True
        self.state["learning_rate"] = self.learning_rate / 5.0
        _say(message, "Setting learning rate to %f" % self.learning_rate)
        return False


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2014) with bias correction folded into the step size.

    State: first and second moments ``m``, ``v`` (arrays) and step count ``t`` (int).
    With ``weight_decay`` it is AdamW.
    """

    def __init__(
        self,
        theta,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        state=None,
        **schedule_and_decay,
    ):
        super().__init__(theta, learning_rate_init, **schedule_and_decay)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        if state is None:
            state = {"t": 0, "m": self._zeros_like(theta), "v": self._zeros_like(theta)}
        self.state = state
        self._update = self._step_body("adam_update")

    @property
    def learning_rate(self):
        t = max(self.state["t"], 1)
        return (
            self.learning_rate_init
            * self._multiplier(t - 1)
            * math.sqrt(1.0 - self.beta_2**t)
            / (1.0 - self.beta_1**t)
        )

    def step(self, theta, grad, l2=None):
        s = self.state
        s["t"] += 1
        lr = float(self.learning_rate)
        n_decay, decay = self._decay_factor(self.learning_rate_init * self._multiplier(s["t"] - 1))
        # m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  theta -= lr m / (sqrt(v) + eps)
        self._update(theta, grad, s["m"], s["v"], lr, self.beta_1, self.beta_2, self.epsilon,
                     n_decay, decay, **self._l2_arguments(l2))


# option string of ``solver`` -> optimizer class (``'lbfgs'`` is the other solver).
OPTIMIZERS = {"sgd": SGD, "adam": Adam}


@dataclass(frozen=True)
class OptimizerSettings:
    """The estimators' optimizer hyperparameters, under the estimators' names."""

    learning_rate_init: float
    learning_rate: str = "constant"
    power_t: float = 0.5
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    weight_decay: float = 0.0
    total_steps: int | None = None
    """Steps of the whole fit (the cosine schedule's span)."""
    warmup_steps: int = 0
    n_decay: int | None = None
    """Leading entries of theta that weight decay shrinks (the weights)."""

    @classmethod
    def from_params(cls, params, **given):
        """Settings from an estimator's parameters (a mapping with at least these
        names), plus ``given`` for the fields that depend on the data."""
        names = [f.name for f in fields(cls) if f.name not in given and f.name in params]
        return cls(**{name: params[name] for name in names}, **given)


def _state_copy(value, theta, ops):
    """An array of the state as a new array like ``theta``; other values unchanged."""
    if ops is None:
        return value.astype(theta.dtype) if isinstance(value, np.ndarray) else value
    if getattr(value, "ndim", 0) >= 1:  # an array of any namespace (not a 0-d scalar)
        return ops.copy(ops.asarray(value, dtype=theta.dtype))
    return value


def copy_state(state, theta, ops=None):
    """A copy of an optimizer's ``state``: its arrays as new arrays like ``theta`` (its
    dtype and namespace), its other values as they are (never changed in place)."""
    return {k: _state_copy(v, theta, ops) for k, v in state.items()}


def _usable_state(name, theta, state, ops=None):
    """A copy of ``state`` in theta's dtype (and namespace), or None if it belongs to
    another optimizer or another network (a failed call must leave the stored state
    untouched)."""
    if state is None:
        return None
    state = copy_state(state, theta, ops)
    arrays = [v for v in state.values() if getattr(v, "ndim", 0) >= 1]
    shape = tuple(theta.shape)
    if any(tuple(v.shape) != shape for v in arrays) or ("velocity" in state) != (name == "sgd"):
        return None
    return state


# The hyperparameters a state carries (under "settings"). An optimizer continued from
# a state keeps those it was created with, as scikit-learn's partial_fit keeps its
# optimizer object: set_params between partial_fit calls does not change them; a new
# fit (also with warm_start) creates the optimizer afresh from the current ones.
KEPT_SETTINGS = ("learning_rate_init", "learning_rate", "power_t", "momentum",
                 "nesterovs_momentum", "beta_1", "beta_2", "epsilon", "weight_decay")


def make_optimizer(name, theta, settings, state=None, ops=None):
    """The optimizer ``name`` (a key of :data:`OPTIMIZERS`) for ``theta``, continuing
    from ``state`` when that is a usable state of the same optimizer (with the
    hyperparameters stored in it, :data:`KEPT_SETTINGS`). ``ops`` (an
    :class:`~skperceptron._backend.ArrayBackend`) when theta is not a numpy array."""
    state = _usable_state(name, theta, state, ops)
    if state is not None and "settings" in state:
        settings = replace(settings, **state["settings"])
    optimizer = _build(name, theta, settings, state, ops)
    optimizer.state["settings"] = {k: getattr(settings, k) for k in KEPT_SETTINGS}
    return optimizer


def _build(name, theta, settings, state, ops):
    common = dict(
        total_steps=settings.total_steps,
        warmup_steps=settings.warmup_steps,
        weight_decay=settings.weight_decay,
        n_decay=settings.n_decay,
        ops=ops,
    )
    if name == "sgd":
        return SGD(
            theta, settings.learning_rate_init, settings.learning_rate, settings.momentum,
            settings.nesterovs_momentum, settings.power_t, state=state, **common,
        )
    # Adam follows 'cosine'; scikit-learn's 'invscaling'/'adaptive' are SGD's only.
    schedule = "cosine" if settings.learning_rate == "cosine" else "constant"
    return OPTIMIZERS[name](
        theta, settings.learning_rate_init, settings.beta_1, settings.beta_2,
        settings.epsilon, state=state, schedule=schedule, **common,
    )
