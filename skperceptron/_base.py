"""Estimator plumbing shared by MLPClassifier and MLPRegressor.

``fit``/``partial_fit`` validate their input, then run one private ``_fit`` whose body is
a list of named steps::

    validate -> encode targets -> initialise or warm-start theta -> solve -> store

A failed call never damages a fitted model: the estimator's attributes are snapshotted
before the call and put back if anything raises (training itself only ever works on a
copy of the weights and of the optimizer state).
"""

import functools
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn import get_config

from . import _solvers
from ._activations import ACTIVATIONS
from ._losses import LOSSES
from ._network import (
    Objective,
    chunk_rows,
    glorot_uniform,
    pack,
    predict_output,
    unpack,
)
from ._optimizers import SGD, Adam
from ._validation import (
    Interval,
    Options,
    StrOptions,
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    validate_data,
)

STOCHASTIC_SOLVERS = ("sgd", "adam")

# Prediction works through rows in chunks whose activation buffers fit this budget
# (a few MiB stay cache-friendly and bound memory), and never more than scikit-learn's
# ``working_memory`` setting.
PREDICT_CHUNK_BYTES = 4 * 2**20

_NON_FINITE_MESSAGE = (
    "Solver produced non-finite parameter weights. The input data may contain large "
    "values and need to be preprocessed."
)


def transactional(method):
    """Restore the estimator's attributes if ``method`` raises.

    Training never mutates stored arrays in place (it works on copies), so restoring
    the attribute dict is enough to leave a fitted model exactly as it was.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper


class BaseMultilayerPerceptron(BaseEstimator, metaclass=ABCMeta):
    """Shared implementation of the MLP estimators; not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _encode_targets(self, y, *, first_pass, incremental, classes, dtype):
        """Validate ``y`` and return the 2-D float target matrix ``Y``."""

    @abstractmethod
    def _loss_name(self):
        """Key of :data:`~skperceptron._losses.LOSSES` for the fitted targets."""

    @abstractmethod
    def _score_outputs(self, output, Y, sample_weight):
        """Validation score (higher is better) of network outputs against ``Y``."""

    def _stratify(self, Y):
        """Labels to stratify the early-stopping split by, or None."""
        return None

    # ------------------------------------------------------------ public API
    @transactional
    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        hidden = self._hidden_layer_sizes()
        first_pass = not hasattr(self, "coefs_") or not (self.warm_start or incremental)

        X, y = self._validate_X_y(X, y, reset=first_pass)
        Y = self._encode_targets(
            y, first_pass=first_pass, incremental=incremental, classes=classes, dtype=X.dtype
        )
        sample_weight = self._validate_sample_weight(sample_weight, X)
        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        random_state = check_random_state(self.random_state)

        if first_pass:
            self._initialize(layer_units, random_state, X.dtype)
        else:
            self._check_architecture(layer_units)
        theta = pack(self.coefs_, self.intercepts_, X.dtype)

        if self.solver == "lbfgs":
            self._fit_lbfgs(theta, X, Y, sample_weight, layer_units)
        else:
            self._fit_stochastic(
                theta, X, Y, sample_weight, layer_units, random_state, incremental
            )

        if not np.isfinite(theta).all():
            raise ValueError(_NON_FINITE_MESSAGE)
        coefs, intercepts = unpack(theta, layer_units)
        self.coefs_ = [c.copy() for c in coefs]
        self.intercepts_ = [b.copy() for b in intercepts]
        return self

    # ------------------------------------------------------------- the steps
    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = [int(s) for s in sizes]
        if any(s <= 0 for s in sizes):
            raise ValueError("hidden_layer_sizes must be > 0, got %s." % sizes)
        return sizes

    def _validate_X_y(self, X, y, reset):
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse="csr",
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=not self._is_classifier(),
        )

    @staticmethod
    def _validate_sample_weight(sample_weight, X):
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have a positive sum.")
        return sample_weight

    def _is_classifier(self):
        return self.__sklearn_tags__().estimator_type == "classifier"

    def _initialize(self, layer_units, random_state, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = layer_units[-1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = LOSSES[self._loss_name()].out_activation
        theta = glorot_uniform(layer_units, self.activation, random_state, dtype)
        coefs, intercepts = unpack(theta, layer_units)
        self.coefs_ = [c.copy() for c in coefs]
        self.intercepts_ = [b.copy() for b in intercepts]
        # Seeds every epoch's shuffle as (seed, epoch): see _solvers.stochastic.
        self._shuffle_seed = int(random_state.randint(np.iinfo(np.int32).max))
        self._epoch = 0
        self._optimizer_state = None
        if self.solver in STOCHASTIC_SOLVERS:
            self._reset_progress()

    def _reset_progress(self):
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _check_architecture(self, layer_units):
        fitted = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        if fitted != layer_units:
            raise ValueError(
                "The network shape changed since the previous fit: it has layer sizes "
                "%s, the data and hidden_layer_sizes now ask for %s. Use "
                "warm_start=False (or a new estimator) to change the architecture."
                % (fitted, layer_units)
            )

    def _fit_lbfgs(self, theta, X, Y, sample_weight, layer_units):
        objective = Objective(
            layer_units, self.activation, self._loss_name(), self.alpha, X.dtype, X.shape[0]
        )
        self.n_iter_, self.loss_ = _solvers.lbfgs(
            objective.value_and_grad,
            theta,
            X,
            Y,
            sample_weight,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            verbose=bool(self.verbose),
        )

    def _fit_stochastic(
        self, theta, X, Y, sample_weight, layer_units, random_state, incremental
    ):
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not hasattr(self, "loss_curve_"):  # warm start from an lbfgs fit
            self._reset_progress()

        validation_score = None
        if self.early_stopping:
            X, Y, sample_weight, validation_score = self._split_validation(
                X, Y, sample_weight, layer_units, random_state
            )
        batch_size = self._batch_size(X.shape[0])
        objective = Objective(
            layer_units, self.activation, self._loss_name(), self.alpha, X.dtype, batch_size
        )
        optimizer = self._make_optimizer(theta, incremental)
        progress = _solvers.Progress(
            loss_curve=list(self.loss_curve_),
            validation_scores=(
                None if self.validation_scores_ is None else list(self.validation_scores_)
            ),
            best_loss=self.best_loss_,
            best_validation_score=self.best_validation_score_,
            no_improvement_count=self._no_improvement_count,
            t=self.t_,
            epoch=self._epoch,
        )
        n_iter, finite_epochs = _solvers.stochastic(
            objective.value_and_grad,
            theta,
            X,
            Y,
            sample_weight,
            optimizer,
            progress,
            batch_size=batch_size,
            max_iter=self.max_iter,
            shuffle=self.shuffle,
            seed=self._shuffle_seed,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            validation_score=validation_score,
            incremental=incremental,
            verbose=bool(self.verbose),
        )
        if finite_epochs == 0 and not self.early_stopping:
            raise ValueError(_NON_FINITE_MESSAGE)

        self.n_iter_ = n_iter
        self.t_ = progress.t
        self._epoch = progress.epoch
        self.loss_curve_ = progress.loss_curve
        self.loss_ = progress.loss_curve[-1]
        self.validation_scores_ = progress.validation_scores
        self.best_loss_ = progress.best_loss
        self.best_validation_score_ = progress.best_validation_score
        self._no_improvement_count = progress.no_improvement_count
        self._optimizer_state = optimizer.state

    def _split_validation(self, X, Y, sample_weight, layer_units, random_state):
        arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
        split = train_test_split(
            *arrays,
            random_state=random_state,
            test_size=self.validation_fraction,
            stratify=self._stratify(Y),
        )
        X_train, X_val, Y_train, Y_val = split[:4]
        sw_train, sw_val = split[4:] if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or "
                "the size of your dataset."
            )
        rows = self._chunk_rows(layer_units, X.dtype.itemsize)
        out_activation = self.out_activation_

        def validation_score(theta):
            coefs, intercepts = unpack(theta, layer_units)
            with np.errstate(all="ignore"):
                output = predict_output(
                    coefs, intercepts, self.activation, out_activation, X_val, rows
                )
            if not np.isfinite(output).all():
                return float("nan")
            return float(self._score_outputs(output, Y_val, sw_val))

        return X_train, Y_train, sw_train, validation_score

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going "
                "to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _make_optimizer(self, theta, incremental):
        state = self._optimizer_state if incremental else None
        if state is not None:
            # Work on a copy: a failed call must leave the stored state untouched.
            state = {
                k: (v.astype(theta.dtype) if isinstance(v, np.ndarray) else v)
                for k, v in state.items()
            }
            if not all(
                v.shape == theta.shape for v in state.values() if isinstance(v, np.ndarray)
            ) or ("velocity" in state) != (self.solver == "sgd"):
                state = None
        if self.solver == "sgd":
            return SGD(
                theta,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
                state=state,
            )
        return Adam(
            theta, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon, state=state
        )

    @property
    def _optimizer(self):
        """The optimizer rebuilt from its stored state (read-only view, for inspection).

        The estimator stores only the optimizer's state dict, never the object.
        """
        if getattr(self, "_optimizer_state", None) is None:
            raise AttributeError("The model has no stochastic optimizer state.")
        theta = self._optimizer_state.get("velocity", self._optimizer_state.get("m"))
        return self._make_optimizer(theta, incremental=True)

    # ------------------------------------------------------------ prediction
    @staticmethod
    def _chunk_rows(layer_units, itemsize):
        budget = min(PREDICT_CHUNK_BYTES, get_config()["working_memory"] * 2**20)
        return chunk_rows(layer_units, itemsize, budget)

    def _forward(self, X, out_activation=None):
        """Validated network output for ``X``, computed in bounded-memory row chunks."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False
        )
        layer_units = [self.n_features_in_] + [c.shape[1] for c in self.coefs_]
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        return predict_output(
            self.coefs_,
            self.intercepts_,
            self.activation,
            out_activation or self.out_activation_,
            X,
            self._chunk_rows(layer_units, dtype.itemsize),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

