"""The MLP template shared by MLPClassifier and MLPRegressor.

``fit``/``partial_fit`` (in ``_mlp.py``) hand their input to one private ``_fit`` whose
body is a list of named steps::

    architecture -> training data (validate X/y, encode targets, weigh samples)
      -> starting point (initial or current theta) -> validation (early stopping)
      -> training objective -> solve (lbfgs | stochastic, under the BLAS thread
      policy) -> store

``_fit`` is transactional: if anything raises, the estimator is left exactly as it was.
Training works on a copy of the weights; ``_store_fitted`` (``_fitted.py``) alone writes
what training produced. The subclasses supply target encoding, the loss name and the
default validation score (the abstract methods below).
"""

from abc import ABCMeta, abstractmethod
from contextlib import nullcontext

import numpy as np
from sklearn.base import BaseEstimator

from . import _solvers
from ._architecture import (
    dropout_rates,
    hidden_activations,
    hidden_layer_sizes,
    initialisation_activations,
)
from ._batches import Minibatches, batch_size
from ._callbacks import CallbackSupportMixin, run_fit
from ._convergence import (
    NON_FINITE_MESSAGE,
    finite_check,
    warn_lbfgs,
    warn_stochastic,
    warn_unscored,
)
from ._early_stopping import (
    explicit_validation_set,
    split_validation,
    validation_monitor,
)
from ._fitted import FittedStateMixin, Outcome, Start, TrainingData, epoch_outcome
from ._initialization import initial_theta
from ._network import Objective, n_coef_params, objective_block_rows, pack
from ._network_array import ArrayObjective, on_host
from ._optimizers import OptimizerSettings, make_optimizer
from ._options import MLP_PARAMETER_CONSTRAINTS, STOCHASTIC_SOLVERS
from ._persistence import VersionedStateMixin
from ._prediction import PredictionMixin
from ._state import interrupted_early, interruptible, transactional
from ._threads import full_batch_thread_limit
from ._validation import (
    ARRAY_API_SUPPORTED,
    check_fitted_namespace,
    check_random_state,
    host_dtype,
    input_backend,
    to_host,
    validate_host_sample_weight,
    validate_input,
    validate_sample_weight,
)


def stochastic_solver(estimator):
    """Whether ``partial_fit`` exists: for the minibatch solvers only (``available_if``)."""
    return estimator.solver in STOCHASTIC_SOLVERS


def _all_finite(start):
    if isinstance(start.theta, np.ndarray):
        return bool(np.isfinite(start.theta).all())
    return start.ops.all_finite(start.theta)


class BaseMultilayerPerceptron(
    FittedStateMixin,
    PredictionMixin,
    VersionedStateMixin,
    CallbackSupportMixin,
    BaseEstimator,
    metaclass=ABCMeta,
):
    """Shared implementation of the MLP estimators; not for direct use."""

    _parameter_constraints: dict = dict(MLP_PARAMETER_CONSTRAINTS)

    # ------------------------------------------------ what subclasses supply
    @abstractmethod
    def _encode_targets(self, y, *, first_pass, incremental, classes, dtype):
        """Validate ``y`` and return the 2-D float target matrix ``Y``."""

    @abstractmethod
    def _encode_validation_targets(self, y, dtype, n_outputs):
        """Encode user-given validation targets with the encoding of this fit."""

    @abstractmethod
    def _decode_targets(self, Y):
        """``y`` as the user gave it, from the encoded matrix (for scorers)."""

    @abstractmethod
    def _loss_name(self):
        """Key of :data:`~skperceptron._losses.LOSSES` for the fitted targets."""

    @abstractmethod
    def _score_outputs(self, output, Y, sample_weight):
        """Default validation score (higher is better) of outputs against ``Y``."""

    def _stratify(self, Y):
        """Labels to stratify the early-stopping split by, or None."""
        return None

    def _loss_params(self):
        return {}

    def _weigh_samples(self, Y, sample_weight, incremental):
        """Per-sample weights that enter the loss (class weights multiply here)."""
        return sample_weight

    # ------------------------------------------------------------------ _fit
    @interruptible
    @transactional  # also around the callbacks: one failing after training fails fit
    def _fit_with_callbacks(self, X, y, sample_weight, **validation):
        """``fit`` as the root task of scikit-learn's callbacks (no cost without them)."""
        return run_fit(
            self,
            lambda hooks: self._fit(X, y, sample_weight, hooks=hooks, **validation),
            X, y, sample_weight,
            # L-BFGS may begin one more iteration task than it ends (see _callbacks).
            max_subtasks=self.max_iter + (self.solver == "lbfgs"),
        )

    # The public signatures of fit and partial_fit, plus the per-epoch ``hooks`` of
    # _callbacks (docs/architecture.rst), or None.
    @transactional
    def _fit(
        self, X, y, sample_weight=None, *, incremental=False, classes=None,
        X_val=None, y_val=None, sample_weight_val=None, hooks=None,
    ):
        hidden, activations = self._architecture()
        first_pass = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        if not first_pass:  # continuing: the data must be where the model is
            check_fitted_namespace(X, self, "partial_fit" if incremental else "fit")
        data = self._training_data(
            X, y, sample_weight, first_pass=first_pass, incremental=incremental, classes=classes
        )
        layer_units = [data.X.shape[1], *hidden, data.Y.shape[1]]
        random_state = check_random_state(self.random_state)
        start = self._starting_point(
            layer_units, activations, random_state, data.dtype, first_pass, data.ops
        )
        data, validation = self._validation(
            data, start, random_state, incremental, (X_val, y_val, sample_weight_val)
        )
        if start.shuffle_seed is None and self._uses_seed(len(hidden)):
            # Seeds every epoch's shuffle as (seed, epoch) (_batches.Minibatches) and the
            # dropout masks. Drawn after the early-stopping split, where scikit-learn
            # draws its first shuffle: the same random_state then holds out the same
            # validation rows. Drawn only when used, so that a RandomState instance
            # shared across fits advances as scikit-learn's does (L-BFGS, no shuffle).
            start.shuffle_seed = int(random_state.randint(np.iinfo(np.int32).max))
        objective = self._training_objective(start, data)
        with self._thread_limit(data, layer_units):
            if self.solver == "lbfgs":
                outcome = self._fit_lbfgs(start, objective, data, hooks)
            else:
                outcome = self._fit_stochastic(
                    start, objective, data, validation, incremental, hooks
                )
        if not _all_finite(start):
            raise ValueError(NON_FINITE_MESSAGE)
        self._store_fitted(start, outcome)
        return self

    # ------------------------------------------------------------- the steps
    def _architecture(self):
        """Hidden layer sizes and activations, checked against the solver's options."""
        hidden = hidden_layer_sizes(self.hidden_layer_sizes)
        activations = self._hidden_activations(len(hidden))
        if self.solver == "lbfgs" and (
            any(self._dropout_rates(len(hidden))) or self.weight_decay > 0
        ):
            raise ValueError(
                "dropout and weight_decay apply to the stochastic solvers ('sgd', "
                "'adam') only; with solver='lbfgs' use alpha for L2 regularization."
            )
        return hidden, activations

    def _hidden_activations(self, n_hidden):
        return hidden_activations(self.activation, n_hidden)

    def _uses_seed(self, n_hidden):
        """Whether training draws from the shuffle seed: shuffled or dropped-out
        minibatches."""
        return self.solver != "lbfgs" and (self.shuffle or any(self._dropout_rates(n_hidden)))

    def _dropout_rates(self, n_hidden):
        return dropout_rates(self.dropout, n_hidden)

    def _training_data(self, X, y, sample_weight, *, first_pass, incremental, classes):
        """Validated ``X``, encoded ``Y`` and the per-sample weights of the loss.

        Labels and weights are validated and encoded on the host (``classes_`` stays
        numpy), whatever their namespace, and follow ``X``: moved to its device when it
        is an Array API input, numpy arrays when it is numpy."""
        ops = input_backend(X)
        y, sample_weight, classes = to_host(y), to_host(sample_weight), to_host(classes)
        # A continued model keeps its dtype (as scikit-learn's, which updates its
        # arrays in place): the data is converted to it, not the model to the data's.
        kept = {} if first_pass else {"dtype": self._fitted_dtype(ops)}
        X, y = validate_input(
            self, X, y, reset=first_pass, multi_output=True,
            y_numeric=not self._is_classifier(), **kept,
        )
        dtype = host_dtype(ops, X.dtype)
        Y = self._encode_targets(
            y, first_pass=first_pass, incremental=incremental, classes=classes, dtype=dtype
        )
        if ops is None:
            sample_weight = validate_sample_weight(sample_weight, X)
        else:
            sample_weight = validate_host_sample_weight(sample_weight, X.shape[0], dtype)
        weights = self._weigh_samples(Y, sample_weight, incremental)
        return TrainingData.from_host(X, Y, weights, ops)

    def _fitted_dtype(self, ops):
        """The numpy dtype of the fitted weights (on the input's device with ``ops``)."""
        return host_dtype(ops, self.coefs_[0].dtype)

    def _validation(self, data, start, random_state, incremental, given):
        """The training data left after holding out early stopping's validation data,
        and the per-epoch validation (None without early stopping)."""
        validation_set = explicit_validation_set(self, *given, data)
        if self.solver == "lbfgs" or not self.early_stopping:
            return data, None
        if incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if validation_set is None:
            data, validation_set = split_validation(
                data, random_state, self.validation_fraction, self._stratify(data.on_host()[0])
            )
        return data, validation_monitor(self, start, validation_set)

    def _is_classifier(self):
        return self.__sklearn_tags__().estimator_type == "classifier"

    # The architecture, the random state, the data's (host) dtype, whether this is a
    # first fit, and the input's array backend (None for numpy).
    def _starting_point(self, layer_units, activations, random_state, dtype, first_pass, ops):
        """theta drawn (or packed from the fitted model) on the host, moved to the
        input's device for the minibatch solvers (L-BFGS keeps it on the host)."""
        if not first_pass:
            self._check_architecture(layer_units)
            host = [to_host(a) for a in (*self.coefs_, *self.intercepts_)]
            theta = pack(host[: len(self.coefs_)], host[len(self.coefs_) :], dtype)
            start = Start(theta, layer_units, activations, self._shuffle_seed, False, ops)
        else:
            per_layer = initialisation_activations(activations, self.activation)
            theta = initial_theta(layer_units, per_layer, random_state, dtype, self.weight_init)
            start = Start(theta, layer_units, activations, None, True, ops)  # seed: _fit
        if self.solver != "lbfgs":
            start.theta = start.device_theta()
        return start

    def _check_architecture(self, layer_units):
        fitted = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        if fitted != layer_units:
            raise ValueError(
                "The network shape changed since the previous fit: it has layer sizes "
                "%s, the data and hidden_layer_sizes now ask for %s. Use "
                "warm_start=False (or a new estimator) to change the architecture."
                % (fitted, layer_units)
            )

    def _thread_limit(self, data, layer_units):
        """The BLAS thread policy of this fit (``_threads``): L-BFGS's small full-batch
        products on one thread; the minibatch solvers on the caller's threads."""
        if self.solver != "lbfgs":
            return nullcontext()
        rows = min(data.X.shape[0], objective_block_rows(layer_units, data.dtype))
        return full_batch_thread_limit(rows, layer_units)

    def _objective(self, start, dtype, max_rows, **training):
        """The numpy objective, or with an Array API input the functional one."""
        if start.ops is not None:
            # The numpy objective's blocks, so that dropout draws its masks in its order.
            blocks = min(max_rows, objective_block_rows(start.layer_units, dtype))
            return ArrayObjective(
                start.layer_units, start.activations, self._loss_name(), self.alpha,
                start.ops, loss_params=self._loss_params(), block_rows=blocks, **training,
            )
        return Objective(
            start.layer_units, start.activations, self._loss_name(), self.alpha, dtype,
            max_rows, loss_params=self._loss_params(), **training,
        )

    def _training_objective(self, start, data):
        """Loss and gradient of the network on the training data (with dropout)."""
        X = data.X
        if self.solver == "lbfgs":
            return self._objective(start, data.dtype, X.shape[0])
        dropout = self._dropout_rates(len(start.activations))
        rng = self._dropout_rng(start) if any(dropout) else None
        rows = batch_size(self.batch_size, X.shape[0], warn=False)
        return self._objective(start, data.dtype, rows, dropout=dropout, rng=rng)

    # ---------------------------------------------------------------- solve
    def _fit_lbfgs(self, start, objective, data, hooks):
        fun = objective.value_and_grad if data.ops is None else on_host(objective)
        # scipy's float64 iterate, in the model's dtype (as fit stores it).
        self._offer_epoch_models(hooks, start, lambda record: (
            np.asarray(record.theta, dtype=start.theta.dtype), Outcome(record.epoch, record.loss)))
        result = _solvers.lbfgs(
            fun, start.theta, data.X, data.Y, data.sample_weight,
            max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol,
            verbose=bool(self.verbose), hooks=hooks,
        )
        if result.stop_reason == _solvers.INTERRUPTED and not np.isfinite(result.value):
            raise interrupted_early(self, "coefs_")  # not a single evaluation completed
        if not np.isfinite(result.value):  # not a single finite evaluation: no warning
            raise ValueError(NON_FINITE_MESSAGE)  # that the best finite point was kept
        warn_lbfgs(result, self.max_iter)
        return Outcome(result.n_iter, result.value)

    def _fit_stochastic(self, start, objective, data, validation, incremental, hooks):
        batches = Minibatches(
            data.X, data.Y, data.sample_weight, batch_size(self.batch_size, data.X.shape[0]),
            shuffle=self.shuffle, seed=start.shuffle_seed, ops=data.ops,
        )
        optimizer = self._stochastic_optimizer(
            start.theta, incremental, len(batches), n_coef_params(start.layer_units), data.ops
        )
        # On numpy, without clipping, the optimizer's kernel adds the L2 gradient in its
        # own pass over theta (bitwise the same step, one pass over the parameters fewer).
        l2_in_step = data.ops is None and self.max_grad_norm is None
        settings = _solvers.StochasticSettings(
            max_epochs=1 if incremental else self.max_iter,  # partial_fit: one epoch
            stop_rule=_solvers.NoImprovement(self.tol, self.n_iter_no_change, self.early_stopping),
            validation=validation,
            max_grad_norm=self.max_grad_norm,
            is_finite=finite_check(objective, batches),
            verbose=bool(self.verbose),
            ops=data.ops,
            l2_in_step=l2_in_step,
            rng=objective.rng,
        )
        progress = self._progress(start)
        self._offer_epoch_models(hooks, start, lambda record: (
            record.theta if record.best_theta is None else record.best_theta,
            epoch_outcome(record, progress, optimizer, objective.rng, data.ops)))
        fun = objective.value_and_data_grad if l2_in_step else objective.value_and_grad
        result = _solvers.stochastic(
            fun, start.theta, batches, optimizer, progress, settings, hooks=hooks,
        )
        if result.stop_reason == _solvers.INTERRUPTED and result.finite_epochs == 0:
            raise interrupted_early(self, "coefs_")
        if result.finite_epochs == 0:  # nothing learned (early stopping: the start)
            raise ValueError(NON_FINITE_MESSAGE)  # no warning that weights were kept
        warn_stochastic(result, None if incremental else self.max_iter,
                        early_stopping=validation is not None)
        warn_unscored(progress)
        # A diverged or interrupted epoch was rolled back: the model of the finite ones.
        loss = progress.loss_curve[-1] if progress.loss_curve else np.nan
        rng = objective.rng
        rng_state = None if rng is None else rng.bit_generator.state
        return Outcome(result.finite_epochs, loss, progress, optimizer.state, rng_state)

    def _dropout_rng(self, start):
        # The generator's state is stored as a plain dict, so that k partial_fit
        # calls draw the same masks as one fit with max_iter=k.
        rng = np.random.default_rng([start.shuffle_seed, 1])
        state = None if start.first_pass else self._dropout_rng_state
        if state is not None:
            rng.bit_generator.state = state
        return rng

    def _stochastic_optimizer(self, theta, incremental, n_batches, n_decay=None, ops=None):
        settings = OptimizerSettings.from_params(
            vars(self),
            total_steps=self.max_iter * n_batches,
            warmup_steps=self.learning_rate_warmup * n_batches,
            n_decay=n_decay,
        )
        state = getattr(self, "_optimizer_state", None) if incremental else None
        return make_optimizer(self.solver, theta, settings, state, ops)

    @property
    def _optimizer(self):
        """The optimizer rebuilt from its stored state (read-only view, for inspection).

        The estimator stores only the optimizer's state dict, never the object.
        """
        if getattr(self, "_optimizer_state", None) is None:
            raise AttributeError("The model has no stochastic optimizer state.")
        theta = self._optimizer_state.get("velocity", self._optimizer_state.get("m"))
        return self._stochastic_optimizer(theta, incremental=True, n_batches=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = ARRAY_API_SUPPORTED
        return tags
