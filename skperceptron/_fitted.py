"""The fitted attributes: what one call's training stores, and continues from.

The training records (:class:`Start`, :class:`Outcome`, ``_solvers.Progress``) are
mapped to the estimator's attributes here and nowhere else: ``_store_fitted`` writes
every attribute training produces, ``_progress`` reads back the history a
``partial_fit`` or warm start continues. Everything stored is plain data (arrays,
lists, dicts, scalars), so a fitted model pickles compactly and secure loaders need to
trust only the estimator class.
"""

from dataclasses import dataclass, replace

import numpy as np

from . import _network_array
from ._losses import LOSSES
from ._network import unpack
from ._optimizers import copy_state
from ._solvers import Progress
from ._validation import check_is_fitted, host_dtype

# Progress field -> the attribute that keeps it between fit/partial_fit calls.
_HISTORY = {
    "loss_curve": "loss_curve_",
    "validation_scores": "validation_scores_",
    "validation_loss_curve": "validation_loss_curve_",
    "best_loss": "best_loss_",
    "best_validation_score": "best_validation_score_",
    "no_improvement_count": "_no_improvement_count",
    "t": "t_",
    "epoch": "_epoch",
}


def same_scoring(scoring, previous):
    """Whether ``scoring`` is the scorer whose scores the stored history holds: equal
    strings (or both None), else the same object. A pickle or deep copy of the model
    keeps ``scoring`` and the stored scorer one object; ``set_params`` with another
    callable, however alike, starts a new history."""
    if isinstance(scoring, str) or scoring is None:
        return scoring == previous
    return scoring is previous


@dataclass
class Start:
    """Where one call's training starts: theta (a private copy) and the network."""

    theta: np.ndarray
    layer_units: list
    activations: list
    shuffle_seed: int | None  # drawn by _fit when first used, after the early-stopping split
    first_pass: bool
    ops: object = None
    """The :class:`~skperceptron._backend.ArrayBackend` of the input, None for numpy.
    theta is then on its device, except for L-BFGS, whose theta stays on the host."""

    def device_theta(self):
        """theta in the input's namespace and on its device."""
        if self.ops is None or not isinstance(self.theta, np.ndarray):
            return self.theta
        return self.ops.asarray(self.theta)

    def layers(self):
        """Independent copies of the per-layer ``(coefs, intercepts)`` of theta, in the
        input's namespace (views would not survive pickling)."""
        if self.ops is None:
            coefs, intercepts = unpack(self.theta, self.layer_units)
            return [c.copy() for c in coefs], [b.copy() for b in intercepts]
        coefs, intercepts = _network_array.unpack(
            self.ops.xp, self.device_theta(), self.layer_units
        )
        return [self.ops.copy(c) for c in coefs], [self.ops.copy(b) for b in intercepts]


@dataclass
class Outcome:
    """What one call's training produced; ``_store_fitted`` writes it."""

    n_iter: int
    loss: float
    progress: Progress | None = None
    optimizer_state: dict | None = None
    dropout_rng_state: dict | None = None


@dataclass
class TrainingData:
    """Validated rows, encoded targets and the per-sample weights of the loss.

    With an Array API input (``ops`` set) all three are on the input's device, and
    ``host`` keeps ``(Y, sample_weight)`` as numpy arrays for what runs on the host
    (stratified splits, scores)."""

    X: object
    Y: object
    """numpy, or the input's namespace when ``ops`` is set (as ``sample_weight``)."""
    sample_weight: object
    ops: object = None
    host: tuple | None = None

    @classmethod
    def from_host(cls, X, Y, sample_weight, ops):
        """Rows ``X`` (already where they belong) with host targets and weights, moved to
        ``ops``' device when there is one."""
        if ops is None:
            return cls(X, Y, sample_weight)
        sw = None if sample_weight is None else ops.asarray(sample_weight)
        return cls(X, ops.asarray(Y), sw, ops, (Y, sample_weight))

    @property
    def dtype(self):
        """The numpy dtype of the data (of its host copy on a device)."""
        return host_dtype(self.ops, self.X.dtype)

    def on_host(self):
        """``(Y, sample_weight)`` as numpy arrays."""
        return (self.Y, self.sample_weight) if self.ops is None else self.host


class FittedStateMixin:
    """Writes and reads the training state of an MLP estimator."""

    def _progress(self, start):
        """The training history this call continues (a fresh one on a first fit)."""
        if start.first_pass:
            return Progress.fresh(self.early_stopping)
        if not hasattr(self, "loss_curve_"):  # warm start after an lbfgs fit
            return Progress.fresh(self.early_stopping, t=self.t_, epoch=self._epoch)
        stored = {field: getattr(self, name) for field, name in _HISTORY.items()}
        progress = Progress(**{k: _copy_list(v) for k, v in stored.items()})
        switched = (progress.validation_scores is None) == bool(self.early_stopping)
        rescored = self.early_stopping and not same_scoring(
            self.scoring, getattr(self, "_history_scoring", None))
        if switched or rescored:
            # early_stopping or scoring changed since the last call: what the stop rule
            # watches (validation score or training loss), on its scale, starts afresh.
            fresh = Progress.fresh(self.early_stopping, t=progress.t, epoch=progress.epoch)
            progress = replace(fresh, loss_curve=progress.loss_curve)
        return progress

    def _store_fitted(self, start, outcome):
        """Write every attribute training produces (``outcome=None``: the network only)."""
        self.coefs_, self.intercepts_ = start.layers()
        self.n_outputs_ = start.layer_units[-1]
        self.n_layers_ = len(start.layer_units)
        self.out_activation_ = LOSSES[self._loss_name()].out_activation
        if outcome is None:
            return
        if start.first_pass:
            self.t_, self._epoch = 0, 0
            self._optimizer_state = self._dropout_rng_state = None
        self._shuffle_seed = start.shuffle_seed  # None until a call shuffles or drops out
        self.n_iter_, self.loss_ = outcome.n_iter, outcome.loss
        progress = outcome.progress
        if progress is None:
            return
        for field, name in _HISTORY.items():
            setattr(self, name, getattr(progress, field))
        scored = progress.validation_scores is not None
        self._history_scoring = self.scoring if scored else None
        self._optimizer_state = outcome.optimizer_state
        if outcome.dropout_rng_state is not None:
            self._dropout_rng_state = outcome.dropout_rng_state

    def _offer_epoch_models(self, hooks, start, state_of):
        """Hand ``hooks`` (callbacks) the builder of each epoch's fitted attributes.

        ``state_of(record)`` gives ``(theta, outcome)`` at the epoch's end, copies where
        training goes on; the attributes are those ``fit(max_iter=epoch)`` stores."""
        if not hasattr(hooks, "start_models"):
            return

        def attributes_of(record):
            if record.rolled_back:
                return None  # a diverged epoch, undone: no model of its own
            theta, outcome = state_of(record)
            probe = self._shallow_copy()
            probe._store_fitted(replace(start, theta=theta), outcome)
            return {name: value for name, value in vars(probe).items()
                    if self.__dict__.get(name, _NOT_SET) is not value}

        hooks.start_models(attributes_of)

    def _probe(self, start):
        """A shallow copy of the estimator whose network is ``start``'s, for scorers."""
        probe = self._shallow_copy()
        probe._store_fitted(start, None)
        return probe

    def _shallow_copy(self):
        # Without __init__ or copy.copy's protocol: the attributes as they are.
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        return copy

    def drop_training_state(self):
        """Drop what only continued training needs, for a compact deployment file.

        Removes the optimizer's state (Adam's two moment vectors, SGD's velocity), the
        dropout generator's state and a scorer object (not a scorer's name) kept to
        compare a later fit's ``scoring`` with, leaving the weights and the fitted
        attributes: the model then holds no objects of the user's code. Predictions are
        unchanged; a later ``partial_fit`` or warm-started ``fit`` still works and
        starts the optimizer afresh (so it is no longer the exact continuation it would
        have been), and with such a scorer a warm-started ``fit`` with early stopping
        starts its validation history afresh.

        Returns
        -------
        self : object
            The estimator, for chaining (``joblib.dump(est.drop_training_state(), f)``).
        """
        check_is_fitted(self)
        self._optimizer_state = None
        self._dropout_rng_state = None
        if not isinstance(getattr(self, "_history_scoring", None), str):
            self._history_scoring = None
        return self


def _copy_list(value):
    return list(value) if isinstance(value, list) else value


_NOT_SET = object()


def epoch_outcome(record, progress, optimizer, rng, ops):
    """The :class:`Outcome` of ``fit(max_iter=record.epoch)``: copies of the running
    history, optimizer state and dropout generator at that epoch's end."""
    curves = ("loss_curve", "validation_scores", "validation_loss_curve")
    history = replace(progress, **{name: _copy_list(getattr(progress, name)) for name in curves})
    state = copy_state(optimizer.state, record.theta, ops)
    rng_state = None if rng is None else rng.bit_generator.state
    return Outcome(record.epoch, record.loss, history, state, rng_state)

