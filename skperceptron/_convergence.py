"""How training ended, said as scikit-learn says it: the warnings and errors of a fit.

The solvers return a result whose ``stop_reason`` is one of the constants of
``_solvers``; the estimators turn it into these messages, so that the solvers never
need scikit-learn and the texts live in one place.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._solvers import DIVERGED, INTERRUPTED, MAX_EPOCHS, NOT_CONVERGED
from ._validation import lbfgs_warning_text

NON_FINITE_MESSAGE = (
    "Solver produced non-finite parameter weights. The input data may contain large "
    "values and need to be preprocessed."
)


def warn_stochastic(result, max_iter, early_stopping=False):
    """Warn for how the epoch loop ended (``max_iter`` None: ``partial_fit``, whose one
    epoch is never a lack of convergence). With ``early_stopping`` the model kept is
    the best validation epoch, and the messages say so."""
    if result.stop_reason == DIVERGED:
        kept = ("the best validation epoch so far" if early_stopping
                else "the last finite epoch")
        warnings.warn(
            "Training diverged at epoch %d: the loss is not finite. Training stopped and "
            "the weights of %s were kept; lower learning_rate_init or scale the data."
            % (result.n_epochs, kept),
            ConvergenceWarning,
        )
    elif result.stop_reason == INTERRUPTED:
        kept = ("the best validation epoch so far (early stopping)" if early_stopping
                else "the last completed epoch")
        warnings.warn(
            "Training interrupted by user; keeping the weights of %s." % kept,
            UserWarning,
        )
    elif result.stop_reason == MAX_EPOCHS and max_iter is not None:
        warnings.warn(
            "Stochastic Optimizer: Maximum iterations (%d) reached and the optimization "
            "hasn't converged yet." % max_iter,
            ConvergenceWarning,
        )


def warn_unscored(progress):
    """Early stopping whose every validation score was NaN or -inf: no epoch beat the
    starting weights, which are kept (scikit-learn's rule, which says nothing)."""
    best = progress.best_validation_score
    if best is not None and not best > -np.inf:
        warnings.warn(
            "Every validation score was NaN or -inf, so no epoch was better than the "
            "starting weights, which were kept. Check scoring and the validation set "
            "(r2, for one, is undefined on fewer than two samples).",
            UserWarning,
        )


def warn_lbfgs(result, max_iter):
    """Warn for how L-BFGS ended (a hook's stop request is silent); a lack of
    convergence in the installed scikit-learn's words."""
    if result.stop_reason == INTERRUPTED:
        warnings.warn(
            "Training interrupted by user; keeping the best weights evaluated so far.",
            UserWarning,
        )
        return
    if result.stop_reason == NOT_CONVERGED:
        warnings.warn(
            lbfgs_warning_text(result.n_iter, result.status, result.message, max_iter),
            ConvergenceWarning,
        )
    if not result.finite:
        warnings.warn(
            "lbfgs reached non-finite weights or loss; keeping the best finite point it "
            "evaluated. Scale the data or increase alpha.",
            ConvergenceWarning,
        )


def finite_check(objective, batches):
    """``is_finite(theta)``: finite weights can still overflow the activations, so the
    check runs the first minibatch's rows forward."""
    rows = slice(0, batches.batch_size)
    # (rows, ...) indexes numpy and Array API arrays alike; sparse matrices by row.
    X = batches.X[rows] if sp.issparse(batches.X) else batches.X[rows, ...]
    Y, sw = batches.Y[rows, ...], batches.sample_weight
    sw = None if sw is None else sw[rows]

    def is_finite(theta):
        with np.errstate(all="ignore"):
            value = float(objective.value(theta, X, Y, sw))
        return bool(np.isfinite(value) and objective.is_finite(theta))

    return is_finite
