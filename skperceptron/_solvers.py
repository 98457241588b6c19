"""Solvers: minimise ``fun(theta, X, Y, sample_weight) -> (value, grad)`` over theta.

Nothing here knows about layers or estimators (nor imports scikit-learn): a solver gets
the objective as a callable and the flat parameter vector, updates that vector in
place and returns a small result record saying how it ended. The estimator turns that
record into scikit-learn's warnings and fitted attributes.

- :func:`lbfgs` hands theta to ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``.
- :func:`stochastic` is the epoch loop of the minibatch optimizers, over three named
  parts: a :class:`~skperceptron._batches.Minibatches` source, a
  :class:`NoImprovement` stop rule and one :class:`EpochRecord` per epoch.

Both accept ``hooks`` (see ``docs/architecture.rst``): ``hooks.epoch_begin(epoch)``
before each epoch (L-BFGS iteration) and ``stop = hooks.epoch_end(epoch, record)``
after it; a truthy ``stop`` ends training after that epoch, keeping its weights. With
``hooks=None`` nothing extra runs.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from ._checkpoint import Checkpoint, copy_array

# How a call ended (``result.stop_reason``).
MAX_EPOCHS = "max_epochs"
NO_IMPROVEMENT = "no_improvement"
DIVERGED = "diverged"
INTERRUPTED = "interrupted"
HOOK = "hook"
CONVERGED = "converged"
NOT_CONVERGED = "not_converged"


@dataclass
class EpochRecord:
    """What one epoch (one L-BFGS iteration) produced; handed to ``hooks.epoch_end``."""

    epoch: int
    """Epochs done in this call, this one included."""
    total_epochs: int
    """Epochs done since the model was first fitted (L-BFGS: iterations of this call)."""
    loss: float | None
    validation_score: float | None = None
    validation_loss: float | None = None
    theta: np.ndarray | None = None
    """The live parameter vector: read only, copy to keep."""
    best_theta: np.ndarray | None = None
    """With validation, the best epoch's theta so far (what ``fit(max_iter=epoch)``
    ends with): read only."""
    rolled_back: bool = False
    """The epoch diverged and was rolled back: it leaves no model of its own."""


# ----------------------------------------------------------------- L-BFGS
@dataclass
class LbfgsResult:
    n_iter: int
    value: float
    stop_reason: str
    status: int = 0
    message: str = ""
    finite: bool = True
    """False when scipy ended on non-finite weights or loss (the best finite point
    evaluated was kept)."""


class _StopRequested(Exception):
    """Raised from scipy's callback when a hook asks to stop."""


class _Iterations:
    """scipy's callback: counts iterations (also when interrupted), prints, calls hooks."""

    def __init__(self, hooks, verbose):
        self.hooks, self.verbose = hooks, verbose
        self.n_iter = 0
        self.begun = False
        self.stopped = None

    def before_evaluation(self):
        # An iteration begins with its first evaluation (scipy announces only ends).
        if not self.begun:
            self.begun = True
            self.hooks.epoch_begin(self.n_iter)

    def __call__(self, intermediate_result):
        self.n_iter += 1
        if not (self.verbose or self.hooks is not None):
            return
        x = getattr(intermediate_result, "x", intermediate_result)
        value = float(getattr(intermediate_result, "fun", np.nan))
        if self.verbose:
            print("Iteration %d, loss = %.8f" % (self.n_iter, value))
        if self.hooks is None:
            return
        self.begun = False
        record = EpochRecord(self.n_iter, self.n_iter, value, theta=x)
        if self.hooks.epoch_end(self.n_iter - 1, record):
            self.stopped = (np.array(x, copy=True), value)
            raise _StopRequested


# Ten parameters: the objective's four arguments plus scipy's three options and the
# two observers, all named as the estimator names them.
def lbfgs(fun, theta, X, Y, sample_weight, *, max_iter, max_fun, tol, verbose=False, hooks=None):
    """Full-batch L-BFGS-B on theta, honouring ``max_iter``, ``max_fun`` and ``tol``.

    scipy works in float64; the objective is evaluated in theta's own dtype, so a
    float32 model trains in float32 arithmetic. On Ctrl-C or a non-finite end, theta
    is the best finite point evaluated.

    Returns
    -------
    result : LbfgsResult
        Iterations run, the objective at the returned theta (written into ``theta``),
        and how the run ended.
    """
    dtype = theta.dtype
    best = {"value": np.inf, "x": theta.copy()}
    iterations = _Iterations(hooks, verbose)

    def value_and_grad(x):
        if hooks is not None:
            iterations.before_evaluation()
        x = x.astype(dtype, copy=False)
        value, grad = fun(x, X, Y, sample_weight)
        if np.isfinite(value) and value < best["value"]:
            best["value"], best["x"] = value, x.copy()
        # scipy keeps the gradient it is given: hand it a copy, in float64.
        return value, grad.astype(np.float64)

    try:
        result = scipy.optimize.minimize(
            value_and_grad,
            theta.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
            callback=iterations,
        )
    except KeyboardInterrupt:
        theta[:] = best["x"]
        return LbfgsResult(iterations.n_iter, float(best["value"]), INTERRUPTED)
    except _StopRequested:
        x, value = iterations.stopped
        theta[:] = x
        return LbfgsResult(iterations.n_iter, value, HOOK)
    return _lbfgs_result(result, theta, best, max_iter)


def _lbfgs_result(result, theta, best, max_iter):
    message = result.message
    if isinstance(message, bytes):
        message = message.decode("latin1")
    n_iter = int(min(result.nit, max_iter))
    reason = CONVERGED if result.status == 0 else NOT_CONVERGED
    if not np.isfinite(result.x).all() or not np.isfinite(result.fun):
        # Never hand back non-finite weights: keep the best finite point evaluated.
        theta[:] = best["x"]
        return LbfgsResult(n_iter, float(best["value"]), reason, result.status, message, False)
    theta[:] = result.x
    return LbfgsResult(n_iter, float(result.fun), reason, result.status, message)


# ------------------------------------------------------------ stochastic
@dataclass
class Progress:
    """Training history carried across ``fit``/``partial_fit`` calls.

    The estimator stores these fields as plain attributes (``loss_curve_``,
    ``t_``, ...) and rebuilds this record at the start of each call.
    """

    loss_curve: list = field(default_factory=list)
    validation_scores: list = None
    best_loss: float = np.inf
    best_validation_score: float = None
    no_improvement_count: int = 0
    t: int = 0
    epoch: int = 0
    validation_loss_curve: list = None

    @classmethod
    def fresh(cls, on_validation, t=0, epoch=0):
        """A new history watching the validation score or the training loss."""
        if on_validation:
            return cls(validation_scores=[], validation_loss_curve=[], best_loss=None,
                       best_validation_score=-np.inf, t=t, epoch=epoch)
        return cls(best_loss=np.inf, t=t, epoch=epoch)


@dataclass
class NoImprovement:
    """scikit-learn's stop rule: ``patience`` epochs in a row without a ``tol`` gain.

    It watches the training loss (lower is better), or with ``on_validation`` the
    validation score (higher is better). The counters live in :class:`Progress`.
    """

    tol: float
    patience: float
    on_validation: bool = False

    def observe(self, progress, record):
        """Count this epoch; True when it is the best validation epoch so far."""
        if self.on_validation:
            score = record.validation_score
            worse = score < progress.best_validation_score + self.tol
            progress.no_improvement_count = progress.no_improvement_count + 1 if worse else 0
            if score > progress.best_validation_score:
                progress.best_validation_score = score
                return True
            return False
        worse = record.loss > progress.best_loss - self.tol
        progress.no_improvement_count = progress.no_improvement_count + 1 if worse else 0
        progress.best_loss = min(progress.best_loss, record.loss)
        return False

    def fired(self, progress):
        return progress.no_improvement_count > self.patience


@dataclass
class Validation:
    """Callables of theta evaluated after each epoch on held-out data."""

    score: Callable
    """Higher is better; watched by the stop rule, best epoch restored at the end."""
    loss: Callable | None = None


@dataclass
class StochasticSettings:
    max_epochs: int
    stop_rule: NoImprovement
    validation: Validation | None = None
    max_grad_norm: float | None = None
    """Rescale each minibatch gradient to at most this global L2 norm."""
    is_finite: Callable | None = None
    """``is_finite(theta)`` after each epoch; by default, that theta is finite."""
    verbose: bool = False
    ops: object = None
    """The :class:`~skperceptron._backend.ArrayBackend` of theta when it is not a numpy
    array (gradient clipping and copies then use its namespace)."""
    l2_in_step: bool = False
    """``fun`` returns ``(value, grad, l2)``, the gradient without its L2 term, which the
    optimizer's step adds in its own pass (``Objective.value_and_data_grad``). Not with
    ``max_grad_norm``: clipping needs the whole gradient."""
    rng: object = None
    """The ``numpy.random.Generator`` the epochs draw from (dropout masks), or None; an
    epoch that is rolled back gives back its draws."""

    def __post_init__(self):
        if self.l2_in_step and self.max_grad_norm is not None:
            raise ValueError(
                "max_grad_norm clips the whole gradient, so l2_in_step must be False with it"
            )


@dataclass
class StochasticResult:
    n_epochs: int
    """Epochs run in this call."""
    finite_epochs: int
    """Epochs of this call that ended with a finite loss and weights."""
    stop_reason: str


def _clip_by_global_norm(grad, max_norm):
    """``grad`` scaled to L2 norm ``max_norm`` if longer, in place. A sum of squares that
    overflows while every entry is finite (a float32 norm above ~1.8e19) is redone on
    ``grad / max|grad|`` (``unit``, the norm over ``max|grad|``), and the comparison and
    the factor are formed without the norm itself."""
    with np.errstate(over="ignore"):
        norm = float(np.sqrt(np.dot(grad, grad)))
    top = float(np.max(np.abs(grad))) if math.isinf(norm) else math.inf
    if math.isfinite(top):
        unit = float(np.linalg.norm(grad / top))
        if unit > max_norm / top:
            grad *= (max_norm / top) / unit
    elif norm > max_norm:
        grad *= max_norm / norm
    return grad


def _theta_is_finite(theta):
    return bool(np.isfinite(theta).all())


def stochastic(fun, theta, batches, optimizer, progress, settings, hooks=None):
    """Minibatch training for at most ``settings.max_epochs`` epochs.

    ``batches`` (:class:`~skperceptron._batches.Minibatches`) yields each epoch's
    minibatches from ``progress.epoch``, so consecutive calls replay exactly the epochs
    of one longer call. With ``settings.validation`` the best epoch's theta is restored
    at the end. When an epoch diverges (non-finite loss, or ``is_finite`` false) or on
    Ctrl-C inside it, the epoch is rolled back: theta, the optimizer's state,
    ``progress`` and ``settings.rng`` return to the last finite epoch's end
    (:class:`~skperceptron._checkpoint.Checkpoint`), so a later call continues as from
    ``fit(max_iter=k)``.
    """
    validation = settings.validation
    is_finite = settings.is_finite or _theta_is_finite
    best_theta = copy_array(theta, settings.ops) if validation is not None else None
    checkpoint = Checkpoint.start(theta, settings.ops)
    n_epochs = finite_epochs = 0
    reason = MAX_EPOCHS
    in_epoch = False  # from an epoch's start until it is known finite and closed
    try:
        for epoch in range(settings.max_epochs):
            if finite_epochs:
                checkpoint.take(theta, optimizer, progress, settings.rng)
            committed, in_epoch = finite_epochs, True
            if hooks is not None:
                hooks.epoch_begin(epoch)
            loss = _run_epoch(fun, theta, batches, optimizer, progress.epoch, settings)
            n_epochs += 1
            record = _close_epoch(progress, loss, theta, validation, batches.n_samples, n_epochs)
            if settings.verbose:
                _print_epoch(record)
            ended = None
            if np.isfinite(loss) and is_finite(theta):
                # Only a finite epoch can be the best one: a user's scorer may rate
                # the fallback predictions of non-finite weights highly.
                best = settings.stop_rule.observe(progress, record)
                optimizer.epoch_end(progress.t)
                ended = _plateau(settings, progress, optimizer)
                # What survives a roll-back changes last, once the epoch is complete.
                if best:
                    best_theta[:] = theta
                finite_epochs += 1
            else:
                checkpoint.restore(theta, optimizer, progress, settings.rng)
                record.rolled_back = True
                ended = DIVERGED
            in_epoch = False
            record.best_theta = best_theta
            stop = hooks is not None and hooks.epoch_end(epoch, record)
            if ended is not None or stop:
                reason = ended or HOOK
                break
    except KeyboardInterrupt:
        if in_epoch:
            checkpoint.restore(theta, optimizer, progress, settings.rng)
            finite_epochs = committed
        reason = INTERRUPTED
    if validation is not None:
        theta[:] = best_theta
    return StochasticResult(n_epochs, finite_epochs, reason)


def _run_epoch(fun, theta, batches, optimizer, epoch, settings):
    """One pass over the minibatches of ``epoch``; returns the mean minibatch loss.

    The loss is read as a float once, at the end: on a device the minibatch values are
    0-d arrays and the loop never waits for them."""
    accumulated = 0.0
    clip = _clip_by_global_norm if settings.ops is None else settings.ops.clip_by_global_norm
    for X_b, Y_b, sw_b in batches.epoch(epoch):
        if settings.l2_in_step:
            value, grad, l2 = fun(theta, X_b, Y_b, sw_b)
        else:
            (value, grad), l2 = fun(theta, X_b, Y_b, sw_b), None
        accumulated = accumulated + value * X_b.shape[0]
        if settings.max_grad_norm is not None:
            grad = clip(grad, settings.max_grad_norm)
        optimizer.step(theta, grad, l2=l2)
    return float(accumulated) / batches.n_samples


def _close_epoch(progress, loss, theta, validation, n_samples, n_epochs):
    """Advance the history by one epoch and evaluate on the validation data."""
    progress.epoch += 1
    progress.t += n_samples
    progress.loss_curve.append(loss)
    record = EpochRecord(n_epochs, progress.epoch, loss, theta=theta)
    if validation is not None:
        if validation.loss is not None:
            record.validation_loss = validation.loss(theta)
            progress.validation_loss_curve.append(record.validation_loss)
        record.validation_score = validation.score(theta)
        progress.validation_scores.append(record.validation_score)
    return record


def _plateau(settings, progress, optimizer):
    """NO_IMPROVEMENT when the stop rule fires and the optimizer agrees, else None."""
    if not settings.stop_rule.fired(progress):
        return None
    message = None
    if settings.verbose:  # the optimizer prints it with what it does about it
        what = "Validation score" if settings.stop_rule.on_validation else "Training loss"
        message = "%s did not improve more than tol=%f for %d consecutive epochs." % (
            what, settings.stop_rule.tol, settings.stop_rule.patience)
    if optimizer.on_plateau(message):  # 'adaptive' SGD lowers its rate instead
        return NO_IMPROVEMENT
    progress.no_improvement_count = 0
    return None


def _print_epoch(record):
    print("Iteration %d, loss = %.8f" % (record.epoch, record.loss))
    if record.validation_score is not None:
        print("Validation score: %f" % record.validation_score)
