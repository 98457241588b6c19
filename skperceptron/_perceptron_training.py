"""The perceptron's training loop around the compiled pass (``_perceptron_fast.epoch``).

Epochs, the stopping rules (tol on each column's mean training objective, or early
stopping on a validation split), the choice between the averaged and the last weights,
Ctrl-C, and the per-epoch hooks (see ``_callbacks.py``). It knows nothing of scikit-learn's
estimator API: the estimator hands it clean arrays (``_perceptron_data.Rows``) and a
:class:`Settings` record.

Columns that share a row order form one :class:`Block`, updated in one pass over each
row. scikit-learn shuffles each one-vs-rest class with its own seed, so with
``shuffle=True`` each class is its own block (in scikit-learn's exact order); with
``shuffle=False`` all classes share one block. Blocks run epoch by epoch in turn, so at
the end of every epoch all columns are at the same epoch: an interrupt keeps that state.
"""

import time
from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

from . import _perceptron_fast
from ._perceptron_data import calibration_step

# Option string -> the integer code the compiled loop switches on.
PENALTIES = {None: 0, "l1": 1, "l2": 2, "elasticnet": 3}

# scikit-learn damps intercept updates on sparse rows (their intercept "sees" every row
# while each weight sees few); matching it keeps coef_ equal on CSR input.
SPARSE_INTERCEPT_DECAY = 0.01

OVERFLOW_MESSAGE = (
    "Floating-point under-/overflow occurred at epoch #{}. Scaling input data with "
    "StandardScaler or MinMaxScaler might help."
)


@dataclass
class Settings:
    """The estimator's training parameters, as the loop reads them."""

    penalty: object
    alpha: float
    l1_ratio: float
    fit_intercept: bool
    max_iter: int
    tol: object
    shuffle: bool
    verbose: int
    eta0: float
    seeds: list  # each one-vs-rest class's shuffle seed (_perceptron_fit.sklearn_draws)
    early_stopping: bool
    n_iter_no_change: int
    average: object


@dataclass
class Start:
    """Where training starts: weights (``(n_columns, n_features)``) and counters."""

    coef: np.ndarray
    intercept: np.ndarray
    average_coef: object = None
    average_intercept: object = None
    t: float = 1.0
    total_epochs: int = 0


@dataclass
class Saved:
    """A block's state at the start of its current pass (the last completed epoch)."""

    W: np.ndarray
    AW: np.ndarray
    Q: np.ndarray
    b: np.ndarray
    ab: np.ndarray
    state: np.ndarray
    margins: np.ndarray  # the calibration rows' only, saved by ``_one_epoch``


@dataclass
class Block:
    """Columns updated in one pass; the attributes ``_perceptron_fast.epoch`` reads."""

    columns: slice
    codes: np.ndarray
    W: np.ndarray  # (n_features, n_block_columns)
    b: np.ndarray  # views into the shared per-column arrays from here on
    AW: np.ndarray
    ab: np.ndarray
    Q: np.ndarray
    state: np.ndarray
    active: np.ndarray
    pos_weight: np.ndarray
    neg_weight: np.ndarray
    margins: np.ndarray
    saved: Saved
    seed: object  # xorshift seed of this block's shuffles, or None
    order: np.ndarray
    t: float
    rule: dict  # the UpdateRule record; one-column blocks are binary-coded
    scratch: np.ndarray  # per-row working space of the pass, (5, n_block_columns)


@dataclass
class EpochRecord:
    """What the hooks receive after each epoch (see HOOKS protocol in _callbacks.py)."""

    epoch: int
    total_epochs: int
    loss: object
    validation_score: object
    validation_loss: object = None
    theta: object = None
    # With hooks: a no-argument callable giving the epoch's :class:`Result` (the one
    # ``max_iter=epoch`` would end with), built from copies taken at the epoch's end.
    model: object = None


@dataclass
class Result:
    """Trained weights as plain arrays, ``(n_columns, n_features)``, and counters."""

    coef: np.ndarray
    intercept: np.ndarray
    standard_coef: np.ndarray
    standard_intercept: np.ndarray
    average_coef: object
    average_intercept: object
    n_iter: int
    t: float
    total_epochs: int
    margins: object  # progressive scores of the training rows, (n_rows, n_columns)
    averaged: bool  # whether coef is the averaged weights
    interrupted: bool
    stopped_by_hook: bool


def train(rows, class_weight, start, settings, *, hooks=None, record_margins=True):
    """Run the epochs; return a :class:`Result`. ``start``'s arrays are never written."""
    n_columns = start.coef.shape[0]
    rule = _update_rule(settings, rows, n_columns)
    blocks, shared = _make_blocks(rows, class_weight, start, settings, rule, record_margins)
    loop = _Loop(rows, blocks, shared, settings, rule, hooks, start)
    loop.run()
    return _result(rows, blocks, shared, start, settings, loop, rule["average"] > 0)


def _update_rule(settings, rows, n_columns):
    # The UpdateRule record of the compiled pass.
    need_objective = bool(settings.verbose) or (
        settings.tol is not None and not settings.early_stopping
    )
    return dict(
        binary=n_columns == 1, penalty=PENALTIES[settings.penalty], alpha=settings.alpha,
        l1_ratio=settings.l1_ratio, eta=settings.eta0, fit_intercept=settings.fit_intercept,
        intercept_decay=SPARSE_INTERCEPT_DECAY if sp.issparse(rows.source) else 1.0,
        average=float(settings.average) if settings.average else 0.0,
        compute_objective=need_objective,
    )


def _make_blocks(rows, class_weight, start, settings, rule, record_margins):
    dtype = start.coef.dtype
    n_columns, n_features = start.coef.shape
    averaging = rule["average"] > 0
    shared = dict(
        b=np.array(start.intercept, dtype=np.float64),
        ab=np.zeros(n_columns),
        state=_perceptron_fast.new_state(n_columns),
        active=np.ones(n_columns, dtype=np.uint8),
    )
    if averaging and start.average_coef is not None:
        shared["ab"][:] = start.average_intercept
    saved_shared = {name: array.copy() for name, array in shared.items() if name != "active"}
    if n_columns == 1:
        pos = np.array([class_weight[1]], dtype=dtype)
        neg = np.array([class_weight[0]], dtype=dtype)
    else:  # scikit-learn's one-vs-rest weights a class's own rows only
        pos, neg = np.asarray(class_weight, dtype=dtype), np.ones(n_columns, dtype=dtype)
    if settings.shuffle:
        groups = [slice(k, k + 1) for k in range(n_columns)]
        seeds = settings.seeds
    else:
        groups, seeds = [slice(0, n_columns)], [None]
    n_rows = rows.y_code.shape[0]
    order = np.flatnonzero(~rows.validation).astype(np.intp)
    blocks = []
    for cols, seed in zip(groups, seeds, strict=True):
        width = cols.stop - cols.start
        W = np.ascontiguousarray(start.coef[cols].T, dtype=dtype)
        if averaging and start.average_coef is not None:
            AW = np.ascontiguousarray(start.average_coef[cols].T, dtype=dtype)
        else:
            AW = np.zeros((n_features if averaging else 0, width), dtype=dtype)
        Q = np.zeros((n_features if rule["penalty"] in (1, 3) else 0, width), dtype=dtype)
        state = shared["state"][cols]
        if rule["penalty"]:  # the cached norms of the penalty term in the objective
            state["sqnorm"] = np.einsum("jk,jk->k", W, W, dtype=np.float64)
            state["l1norm"] = np.abs(W).sum(axis=0, dtype=np.float64)
        # A block of one class (of several) codes it against the rest as a binary problem.
        codes = rows.y_code if width == n_columns else (rows.y_code == cols.start).astype(np.intp)
        margins = np.empty((n_rows if record_margins else 0, width))
        saved = Saved(W.copy(), AW.copy(), Q.copy(), *(saved_shared[n][cols] for n in
                                                      ("b", "ab", "state")),
                      np.empty_like(margins[::calibration_step(n_rows)]))
        blocks.append(Block(
            cols, codes, W, shared["b"][cols], AW, shared["ab"][cols], Q, state,
            shared["active"][cols], pos[cols], neg[cols], margins, saved,
            seed, np.arange(n_rows, dtype=np.intp) if seed is not None else order,
            start.t, {**rule, "binary": width == 1}, np.zeros((5, width)),
        ))
    return blocks, shared


class _Loop:
    """The epoch loop's running state and its per-epoch steps."""

    def __init__(self, rows, blocks, shared, settings, rule, hooks, start):
        self.rows, self.blocks, self.shared = rows, blocks, shared
        self.settings, self.rule, self.hooks = settings, rule, hooks
        n_columns = shared["b"].shape[0]
        self.best = np.full(n_columns, np.inf)  # best objective, or minus best score
        self.no_improvement = np.zeros(n_columns, dtype=int)
        self.n_train = int(np.count_nonzero(~rows.validation))
        self.has_validation = rows.validation.any()
        self.n_iter = 0
        self.interrupted = self.stopped_by_hook = False
        self.started = time.time()
        self.objective = shared["state"]["objective"]  # a view, refreshed by each pass
        self.start = start

    def run(self):
        hooks = self.hooks
        epochs = self.shared["state"]["epochs"]
        for epoch in range(self.settings.max_iter):
            before = epochs.copy()
            try:
                if hooks is not None:
                    hooks.epoch_begin(epoch)
                self._one_epoch(epoch)
                current = self._stopping_rules(epoch)
                # Complete, as the MLPs': the callbacks are handed this epoch's model,
                # and a Ctrl-C inside their epoch end keeps it.
                self.n_iter = epoch + 1
                if hooks is not None and hooks.epoch_end(epoch, self._record(epoch, current)):
                    self.stopped_by_hook = True
                    return
            except KeyboardInterrupt:
                if self.n_iter <= epoch:  # inside the epoch: back to the last complete one
                    self._restore_last_completed_epoch(before)
                self.interrupted = True
                return
            if not self.shared["active"].any():
                return

    def _one_epoch(self, epoch):
        validation = self.rows.validation
        for block in self.blocks:
            if not block.active.any():
                continue
            if block.seed is not None:
                # scikit-learn permutes all rows (validation ones included) with the
                # same seed before each epoch, then skips the validation rows.
                _perceptron_fast.shuffle(block.order, block.seed)
                order = block.order[~validation[block.order]] if self.has_validation \
                    else block.order
            else:
                order = block.order
            # The temperature is fitted on the last completed epoch's margins.
            block.saved.margins[...] = block.margins[::calibration_step(len(block.margins))]
            t, finite = _perceptron_fast.epoch(self.rows, block, block.rule, order, block.t)
            block.t = t
            if not finite:
                raise ValueError(OVERFLOW_MESSAGE.format(epoch + 1))

    def _stopping_rules(self, epoch):
        # Per column: no improvement of tol for n_iter_no_change epochs stops it.
        settings, active = self.settings, self.shared["active"]
        if settings.early_stopping:
            current = -self._validation_accuracy()
        else:
            current = self.objective / self.n_train
        if settings.verbose:
            self._report(epoch, active.astype(bool), current)
        if settings.tol is None:
            return current  # never an improvement test: stop after max_iter
        worse = current > self.best - settings.tol
        self.no_improvement = (self.no_improvement + 1) * worse
        np.minimum(self.best, current, out=self.best)
        stop = self.no_improvement >= settings.n_iter_no_change
        if settings.verbose:
            for _ in np.flatnonzero(stop & (active != 0)):
                print("Convergence after %d epochs took %.2f seconds"
                      % (epoch + 1, time.time() - self.started))
        active[stop] = 0  # already stopped columns stay stopped
        return current

    def _validation_accuracy(self):
        # Per one-vs-rest column: weighted accuracy of "score > 0" on the held-out rows.
        rows = self.rows
        mask = rows.validation
        X = rows.source[mask]
        scores = np.hstack([
            np.asarray(X @ block.W, dtype=np.float64) * block.state["wscale"] + block.b
            for block in self.blocks
        ])
        code = rows.y_code[mask]
        if scores.shape[1] == 1:
            truth = (code == 1)[:, None]
        else:
            truth = code[:, None] == np.arange(scores.shape[1])[None, :]
        correct = (scores > 0) == truth
        return np.average(correct, axis=0, weights=rows.sample_weight[mask])

    def _report(self, epoch, active, current):
        # scikit-learn's Perceptron lines, one set per one-vs-rest column.
        state = self.shared["state"]
        for block in self.blocks:
            for j, k in enumerate(range(block.columns.start, block.columns.stop)):
                if not active[k]:
                    continue
                w = block.W[:, j].astype(np.float64) * state["wscale"][k]
                line = "Norm: %.2f, NNZs: %d, Bias: %.6f, T: %d, Avg. loss: %f" % (
                    np.linalg.norm(w), np.count_nonzero(w), self.shared["b"][k],
                    (epoch + 1) * self.n_train, state["loss"][k] / self.n_train)
                if self.settings.early_stopping:
                    line += ", Objective: %f, Validation score: %f" % (
                        state["objective"][k] / self.n_train, -current[k])
                else:
                    line += ", Objective: %f" % (state["objective"][k] / self.n_train)
                print("-- Epoch %d" % (epoch + 1))
                print(line)
                print("Total training time: %.2f seconds." % (time.time() - self.started))

    def _record(self, epoch, current):
        loss = None
        if self.rule["compute_objective"]:
            loss = float(np.mean(self.shared["state"]["loss"]) / self.n_train)
        score = float(np.mean(-current)) if self.settings.early_stopping else None
        return EpochRecord(epoch=epoch + 1, total_epochs=self.start.total_epochs + epoch + 1,
                           loss=loss, validation_score=score, model=self._snapshot(epoch))

    def _snapshot(self, epoch):
        # Copies of what the epoch's Result is made of; the Result itself is built only
        # if asked for (``finish`` folds the copies, the training arrays go on).
        blocks = [replace(block, W=block.W.copy(), AW=block.AW.copy(),
                          state=block.state.copy(), margins=block.margins.copy())
                  for block in self.blocks]
        shared = {"b": self.shared["b"].copy(), "ab": self.shared["ab"].copy()}
        ended = SimpleNamespace(n_iter=epoch + 1, interrupted=False, stopped_by_hook=False)
        args = (self.rows, blocks, shared, self.start, self.settings, ended,
                self.rule["average"] > 0)
        return lambda: _result(*args)

    def _restore_last_completed_epoch(self, before):
        # Blocks that ran (part of) the interrupted epoch go back to the state saved at
        # the start of their pass; the others are already at the last completed epoch.
        epochs = self.shared["state"]["epochs"]
        for block in self.blocks:
            if (epochs[block.columns] != before[block.columns]).any():
                saved = block.saved
                for name in ("W", "AW", "Q", "b", "ab", "state"):
                    getattr(block, name)[...] = getattr(saved, name)
                block.margins[::calibration_step(len(block.margins))] = saved.margins


def _result(rows, blocks, shared, start, settings, loop, averaging):
    for block in blocks:
        _perceptron_fast.finish(block, averaging)
    n_iter = loop.n_iter
    t = start.t + n_iter * rows.y_code.shape[0]
    standard_coef = np.ascontiguousarray(np.hstack([block.W for block in blocks]).T)
    binary = standard_coef.shape[0] == 1
    standard_intercept = shared["b"].astype(np.float64 if binary else standard_coef.dtype)
    average_coef = average_intercept = None
    if averaging:
        average_coef = np.ascontiguousarray(np.hstack([block.AW for block in blocks]).T)
        average_intercept = shared["ab"].astype(standard_intercept.dtype)
    # scikit-learn: coef_ is the average once averaging has started, else the last weights.
    use_average = averaging and settings.average <= t - 1
    margins = None
    if blocks[0].margins.shape[0] and n_iter > 0:
        margins = blocks[0].margins if len(blocks) == 1 else np.hstack(
            [block.margins for block in blocks])
    return Result(
        coef=average_coef if use_average else standard_coef,
        intercept=average_intercept if use_average else standard_intercept,
        standard_coef=standard_coef, standard_intercept=standard_intercept,
        average_coef=average_coef, average_intercept=average_intercept,
        n_iter=n_iter, t=t, total_epochs=start.total_epochs + n_iter, margins=margins,
        averaged=use_average, interrupted=loop.interrupted,
        stopped_by_hook=loop.stopped_by_hook,
    )
