"""Solvers: minimise ``fun(theta, X, Y, sample_weight) -> (value, grad)`` over theta.

Nothing here knows about layers or estimators: a solver gets the objective as a callable
and the flat parameter vector, and updates that vector in place.

- :func:`lbfgs` hands theta to ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``.
- :func:`stochastic` owns the epoch loop of the minibatch optimizers: one permutation
  per epoch, each minibatch gathered into a preallocated buffer, the no-improvement
  stop, early stopping with best-theta restore, divergence and interrupt handling.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning


def lbfgs(fun, theta, X, Y, sample_weight, *, max_iter, max_fun, tol, verbose=False):
    """Full-batch L-BFGS-B on theta, honouring ``max_iter``, ``max_fun`` and ``tol``.

    scipy works in float64; the objective is evaluated in theta's own dtype, so a
    float32 model trains in float32 arithmetic.

    Returns
    -------
    n_iter : int
        Iterations run.
    value : float
        Objective at the returned theta (which is written into ``theta``).
    """
    dtype = theta.dtype
    best = {"value": np.inf, "x": theta.copy()}

    def value_and_grad(x):
        x = x.astype(dtype, copy=False)
        value, grad = fun(x, X, Y, sample_weight)
        if np.isfinite(value) and value < best["value"]:
            best["value"], best["x"] = value, x.copy()
        # scipy keeps the gradient it is given: hand it a copy, in float64.
        return value, grad.astype(np.float64)

    def report(intermediate_result):
        report.n_iter += 1
        print("Iteration %d, loss = %.8f" % (report.n_iter, intermediate_result.fun))

    report.n_iter = 0

    try:
        result = scipy.optimize.minimize(
            value_and_grad,
            theta.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
            callback=report if verbose else None,
        )
    except KeyboardInterrupt:
        warnings.warn(
            "Training interrupted by user; keeping the best weights evaluated so far.",
            UserWarning,
        )
        theta[:] = best["x"]
        return report.n_iter, float(best["value"])

    if result.status != 0:
        message = result.message
        if isinstance(message, bytes):
            message = message.decode("latin1")
        warnings.warn(
            "lbfgs failed to converge after %d iteration(s) (status=%d): %s. "
            "Increase max_iter or max_fun, or scale the data."
            % (result.nit, result.status, message),
            ConvergenceWarning,
        )
    if not np.isfinite(result.x).all() or not np.isfinite(result.fun):
        # Never hand back non-finite weights: keep the best finite point evaluated.
        warnings.warn(
            "lbfgs reached non-finite weights or loss; keeping the best finite point "
            "it evaluated. Scale the data or increase alpha.",
            ConvergenceWarning,
        )
        theta[:] = best["x"]
        return int(min(result.nit, max_iter)), float(best["value"])
    theta[:] = result.x
    return int(min(result.nit, max_iter)), float(result.fun)


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


def _clip_by_global_norm(grad, max_norm):
    norm = float(np.sqrt(np.dot(grad, grad)))
    if norm > max_norm:
        grad *= max_norm / norm


def _gather(X, rows, out):
    if sp.issparse(X):
        return X[rows]
    # mode="clip" (the rows are valid by construction): with the default "raise",
    # numpy gathers into a temporary and copies it into ``out``, which cost a third
    # of the gather's time.
    return np.take(X, rows, axis=0, out=out[: len(rows)], mode="clip")


def stochastic(
    fun,
    theta,
    X,
    Y,
    sample_weight,
    optimizer,
    progress,
    *,
    batch_size,
    max_iter,
    shuffle,
    seed,
    tol,
    n_iter_no_change,
    validation_score=None,
    validation_loss=None,
    max_grad_norm=None,
    is_finite=None,
    incremental=False,
    verbose=False,
):
    """Minibatch training for at most ``max_iter`` epochs (one if ``incremental``).

    Each epoch's shuffle is drawn from ``(seed, progress.epoch)`` alone, so ``k`` calls
    with ``incremental=True`` replay exactly the epochs of one call with
    ``max_iter=k``.

    With ``validation_score`` (a callable of theta, higher is better), the
    no-improvement criterion watches the validation score and the best theta is
    restored at the end; otherwise it watches the training loss. ``validation_loss``
    (a callable of theta) is recorded each epoch in ``progress.validation_loss_curve``.
    ``max_grad_norm`` rescales each minibatch gradient to at most that global norm.

    ``is_finite(theta)`` checks the weights at the end of each epoch (the estimator
    passes a forward pass on one minibatch: finite weights can still overflow the
    activations); by default, that theta is finite.

    Returns
    -------
    n_iter : int
        Epochs run in this call.
    finite_epochs : int
        Epochs of this call that ended with a finite loss and weights. When the loss
        diverges, training stops and theta is reset to the last finite state.
    """
    if is_finite is None:
        is_finite = lambda t: bool(np.isfinite(t).all())  # noqa: E731
    n_samples = X.shape[0]
    early_stopping = validation_score is not None
    best_theta = theta.copy() if early_stopping else None
    last_finite = theta.copy()
    # Minibatches are gathered row by row into buffers of one batch: the copy is the
    # same as gathering the whole epoch, but it lands in cache right before the
    # products read it (measured 5x cheaper than an epoch-sized gather).
    X_buf = None if sp.issparse(X) else np.empty((batch_size, X.shape[1]), dtype=X.dtype)
    Y_buf = np.empty((batch_size, Y.shape[1]), dtype=Y.dtype)
    n_iter = finite_epochs = 0
    try:
        for _ in range(max_iter):
            order = (
                np.random.default_rng([seed, progress.epoch]).permutation(n_samples)
                if shuffle
                else None
            )
            accumulated = 0.0
            for start in range(0, n_samples, batch_size):
                stop = min(start + batch_size, n_samples)
                if order is None:
                    X_b, Y_b = X[start:stop], Y[start:stop]
                    sw_b = None if sample_weight is None else sample_weight[start:stop]
                else:
                    rows = order[start:stop]
                    X_b = _gather(X, rows, X_buf)
                    Y_b = _gather(Y, rows, Y_buf)
                    sw_b = None if sample_weight is None else sample_weight[rows]
                value, grad = fun(theta, X_b, Y_b, sw_b)
                accumulated += value * (stop - start)
                if max_grad_norm is not None:
                    _clip_by_global_norm(grad, max_grad_norm)
                optimizer.step(theta, grad)

            n_iter += 1
            progress.epoch += 1
            progress.t += n_samples
            loss = accumulated / n_samples
            progress.loss_curve.append(loss)
            if verbose:
                print("Iteration %d, loss = %.8f" % (n_iter, loss))

            if validation_loss is not None:
                progress.validation_loss_curve.append(validation_loss(theta))
            if early_stopping:
                score = validation_score(theta)
                progress.validation_scores.append(score)
                if verbose:
                    print("Validation score: %f" % score)
                if score < progress.best_validation_score + tol:
                    progress.no_improvement_count += 1
                else:
                    progress.no_improvement_count = 0
                if score > progress.best_validation_score:
                    progress.best_validation_score = score
                    best_theta[:] = theta
            else:
                if loss > progress.best_loss - tol:
                    progress.no_improvement_count += 1
                else:
                    progress.no_improvement_count = 0
                progress.best_loss = min(progress.best_loss, loss)

            if not (np.isfinite(loss) and is_finite(theta)):
                theta[:] = last_finite
                warnings.warn(
                    "Training diverged at epoch %d: the loss is not finite. Training "
                    "stopped and the weights of the last finite epoch were kept; lower "
                    "learning_rate_init or scale the data." % n_iter,
                    ConvergenceWarning,
                )
                break
            finite_epochs += 1
            last_finite[:] = theta

            optimizer.epoch_end(progress.t)

            if progress.no_improvement_count > n_iter_no_change:
                what = "Validation score" if early_stopping else "Training loss"
                msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                    what,
                    tol,
                    n_iter_no_change,
                )
                if optimizer.on_plateau(verbose):
                    if verbose:
                        print(msg + " Stopping.")
                    break
                progress.no_improvement_count = 0

            if incremental:
                break
            if n_iter == max_iter:
                warnings.warn(
                    "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                    "optimization hasn't converged yet." % max_iter,
                    ConvergenceWarning,
                )
    except KeyboardInterrupt:
        theta[:] = last_finite
        warnings.warn(
            "Training interrupted by user; keeping the weights of the last completed "
            "epoch.",
            UserWarning,
        )

    if early_stopping:
        theta[:] = best_theta
    return n_iter, finite_epochs
