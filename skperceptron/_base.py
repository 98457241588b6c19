"""Estimator plumbing shared by MLPClassifier and MLPRegressor.

``fit``/``partial_fit`` validate their input, then run one private ``_fit`` whose body is
a list of named steps::

    validate -> encode targets -> weigh samples -> initialise or warm-start theta
             -> solve (lbfgs | stochastic) -> store

A failed call never damages a fitted model: the estimator's attributes are snapshotted
before the call and put back if anything raises (training itself only ever works on a
copy of the weights and of the optimizer state).
"""

import functools
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import nullcontext
from numbers import Integral, Real

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from threadpoolctl import ThreadpoolController

from . import _solvers
from ._activations import ACTIVATIONS
from ._losses import LOSSES
from ._network import (
    INITIALIZERS,
    Objective,
    chunk_rows,
    forward_in_chunks,
    initial_theta,
    objective_block_rows,
    pack,
    unpack,
)
from ._optimizers import SCHEDULES, SGD, Adam
from ._persistence import VersionedStateMixin
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

# Thread policy. On few cores, OpenBLAS's threads on small products cost more in
# synchronisation (and in spinning beside the elementwise work) than they gain, and
# collapse when the cores are shared. Measured on a 2-core machine: under load a
# 256-row minibatch epoch was 10x slower with 2 threads than with 1; quiet, an L-BFGS
# evaluation on 10000x100 took 3x longer with 2 threads. Training therefore runs with
# 1 BLAS thread whenever the largest product of one step (a minibatch, or one
# cache-sized block of the full batch) has fewer multiply-adds than this; larger
# products keep the caller's setting. Prediction is not limited (2 threads measured
# 1.6x faster there). See benchmarks/RESULTS.md.
SMALL_GEMM_MULTIPLY_ADDS = 10**8
_threadpool_controller = None


def blas_thread_limit(rows, layer_units):
    """A context that limits BLAS to one thread when one step's products are small."""
    global _threadpool_controller
    largest = rows * max(i * o for i, o in zip(layer_units[:-1], layer_units[1:]))
    if largest >= SMALL_GEMM_MULTIPLY_ADDS:
        return nullcontext()
    if _threadpool_controller is None:  # inspecting the loaded libraries costs ~ms
        _threadpool_controller = ThreadpoolController()
    return _threadpool_controller.limit(limits=1, user_api="blas")


_NON_FINITE_MESSAGE = (
    "Solver produced non-finite parameter weights. The input data may contain large "
    "values and need to be preprocessed."
)


def store_init_params(estimator, params):
    """Store the constructor's arguments as given (``store_init_params(self, locals())``).

    scikit-learn's convention: ``__init__`` only records its arguments; validation
    happens in ``fit``.
    """
    for name, value in params.items():
        if name != "self":
            setattr(estimator, name, value)


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


class BaseMultilayerPerceptron(VersionedStateMixin, BaseEstimator, metaclass=ABCMeta):
    """Shared implementation of the MLP estimators; not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(SCHEDULES))],
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
        # Beyond scikit-learn, all off by default.
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "learning_rate_warmup": [Interval(Integral, 0, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "weight_init": [StrOptions(set(INITIALIZERS))],
        "scoring": [str, callable, None],
    }

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _encode_targets(self, y, *, first_pass, incremental, classes, dtype):
        """Validate ``y`` and return the 2-D float target matrix ``Y``."""

    @abstractmethod
    def _encode_validation_targets(self, y, dtype):
        """Encode user-given validation targets with the fitted encoding."""

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

    # ---------------------------------------------------------------- _fit
    @transactional
    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        incremental=False,
        classes=None,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        hidden = self._hidden_layer_sizes()
        activations = self._hidden_activations(len(hidden))
        self._check_solver_options(len(hidden))
        first_pass = not hasattr(self, "coefs_") or not (self.warm_start or incremental)

        X, y = self._validate_X_y(X, y, reset=first_pass)
        Y = self._encode_targets(
            y, first_pass=first_pass, incremental=incremental, classes=classes, dtype=X.dtype
        )
        sample_weight = self._weigh_samples(
            Y, self._validate_sample_weight(sample_weight, X), incremental
        )
        validation_set = self._validate_validation_set(X_val, y_val, sample_weight_val, X.dtype)
        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        random_state = check_random_state(self.random_state)

        if first_pass:
            self._initialize(layer_units, activations, random_state, X.dtype)
        else:
            self._check_architecture(layer_units)
        theta = pack(self.coefs_, self.intercepts_, X.dtype)

        # Rows of one step's products: a minibatch, or one block of the full batch.
        step_rows = min(X.shape[0], objective_block_rows(layer_units, X.dtype))
        if self.solver != "lbfgs":
            step_rows = self._batch_size(step_rows, warn=False)
        with blas_thread_limit(step_rows, layer_units):
            if self.solver == "lbfgs":
                self._fit_lbfgs(theta, X, Y, sample_weight, layer_units, activations)
            else:
                self._fit_stochastic(
                    theta, X, Y, sample_weight, layer_units, activations, random_state,
                    incremental, validation_set,
                )

        if not np.isfinite(theta).all():
            raise ValueError(_NON_FINITE_MESSAGE)
        self._store_weights(theta, layer_units)
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

    def _hidden_activations(self, n_hidden):
        """One activation name per hidden layer."""
        if isinstance(self.activation, str):
            return [self.activation] * n_hidden
        names = list(self.activation)
        if len(names) != n_hidden or not all(
            isinstance(a, str) and a in ACTIVATIONS for a in names
        ):
            raise ValueError(
                "activation given as a list needs one name per hidden layer (%d), each "
                "among %s; got %r." % (n_hidden, sorted(ACTIVATIONS), self.activation)
            )
        return names

    def _dropout_rates(self, n_hidden):
        rates = self.dropout
        rates = [rates] * n_hidden if isinstance(rates, Real) else list(rates)
        if len(rates) != n_hidden or not all(
            isinstance(p, Real) and 0 <= p < 1 for p in rates
        ):
            raise ValueError(
                "dropout needs a rate in [0, 1) or one such rate per hidden layer (%d); "
                "got %r." % (n_hidden, self.dropout)
            )
        return [float(p) for p in rates]

    def _check_solver_options(self, n_hidden):
        if self.solver == "lbfgs":
            if any(self._dropout_rates(n_hidden)) or self.weight_decay > 0:
                raise ValueError(
                    "dropout and weight_decay apply to the stochastic solvers ('sgd', "
                    "'adam') only; with solver='lbfgs' use alpha for L2 regularization."
                )

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

    def _validate_validation_set(self, X_val, y_val, sample_weight_val, dtype):
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val is given without X_val and y_val.")
            return None
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together.")
        if not self.early_stopping:
            raise ValueError(
                "X_val and y_val are used for early stopping only; set "
                "early_stopping=True."
            )
        X_val = validate_data(
            self, X_val, accept_sparse="csr", dtype=dtype, reset=False
        )
        Y_val = self._encode_validation_targets(y_val, dtype)
        if Y_val.shape[0] != X_val.shape[0]:
            raise ValueError(
                "X_val and y_val have different numbers of samples: %d and %d."
                % (X_val.shape[0], Y_val.shape[0])
            )
        sw_val = self._weigh_samples(
            Y_val, self._validate_sample_weight(sample_weight_val, X_val), False
        )
        return X_val, Y_val, sw_val

    def _is_classifier(self):
        return self.__sklearn_tags__().estimator_type == "classifier"

    def _initialize(self, layer_units, activations, random_state, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = layer_units[-1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = LOSSES[self._loss_name()].out_activation
        # Glorot's factor follows each weight layer's input activation; with one
        # activation for all layers this is scikit-learn's draw exactly.
        per_layer = activations + [activations[-1] if activations else self.activation]
        if not isinstance(per_layer[-1], str):
            per_layer[-1] = "identity"
        theta = initial_theta(layer_units, per_layer, random_state, dtype, self.weight_init)
        self._store_weights(theta, layer_units)
        # Seeds every epoch's shuffle as (seed, epoch): see _solvers.stochastic.
        self._shuffle_seed = int(random_state.randint(np.iinfo(np.int32).max))
        self._epoch = 0
        self._optimizer_state = None
        self._dropout_rng_state = None
        if self.solver in STOCHASTIC_SOLVERS:
            self._reset_progress()

    def _store_weights(self, theta, layer_units):
        # Plain, independent arrays: views into theta would not survive pickling.
        coefs, intercepts = unpack(theta, layer_units)
        self.coefs_ = [c.copy() for c in coefs]
        self.intercepts_ = [b.copy() for b in intercepts]

    def _reset_progress(self):
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.validation_loss_curve_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
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

    def _objective(self, layer_units, activations, dtype, max_rows, **training):
        return Objective(
            layer_units,
            activations,
            self._loss_name(),
            self.alpha,
            dtype,
            max_rows,
            loss_params=self._loss_params(),
            **training,
        )

    def _fit_lbfgs(self, theta, X, Y, sample_weight, layer_units, activations):
        objective = self._objective(layer_units, activations, X.dtype, X.shape[0])
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
        if not np.isfinite(self.loss_):  # not a single finite evaluation
            raise ValueError(_NON_FINITE_MESSAGE)

    def _fit_stochastic(
        self, theta, X, Y, sample_weight, layer_units, activations, random_state,
        incremental, validation_set,
    ):
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not hasattr(self, "loss_curve_"):  # warm start from an lbfgs fit
            self._reset_progress()

        validation_score = validation_loss = None
        if self.early_stopping:
            if validation_set is None:
                X, Y, sample_weight, validation_set = self._split_validation(
                    X, Y, sample_weight, random_state
                )
            validation_score, validation_loss = self._validation_callables(
                validation_set, layer_units, activations
            )
        batch_size = self._batch_size(X.shape[0])
        dropout = self._dropout_rates(len(activations))
        rng = self._dropout_rng() if any(dropout) else None
        objective = self._objective(
            layer_units, activations, X.dtype, batch_size, dropout=dropout, rng=rng
        )
        n_batches = -(-X.shape[0] // batch_size)
        check_rows = slice(0, batch_size)
        check_weights = None if sample_weight is None else sample_weight[check_rows]

        def is_finite(t):
            # Finite weights can still overflow the activations: run one minibatch.
            with np.errstate(all="ignore"):
                value = objective.value(t, X[check_rows], Y[check_rows], check_weights)
            return bool(np.isfinite(value) and np.isfinite(t).all())

        optimizer = self._make_optimizer(
            theta, incremental, n_batches=n_batches, n_coef=sum(c.size for c in self.coefs_)
        )
        progress = _solvers.Progress(
            loss_curve=list(self.loss_curve_),
            validation_scores=_copy_list(self.validation_scores_),
            validation_loss_curve=_copy_list(self.validation_loss_curve_),
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
            validation_loss=validation_loss,
            max_grad_norm=self.max_grad_norm,
            is_finite=is_finite,
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
        self.validation_loss_curve_ = progress.validation_loss_curve
        self.best_loss_ = progress.best_loss
        self.best_validation_score_ = progress.best_validation_score
        self._no_improvement_count = progress.no_improvement_count
        self._optimizer_state = optimizer.state
        if rng is not None:
            self._dropout_rng_state = rng.bit_generator.state

    def _dropout_rng(self):
        # The generator's state is stored as a plain dict, so that k partial_fit
        # calls draw the same masks as one fit with max_iter=k.
        rng = np.random.default_rng([self._shuffle_seed, 1])
        if self._dropout_rng_state is not None:
            rng.bit_generator.state = self._dropout_rng_state
        return rng

    def _split_validation(self, X, Y, sample_weight, random_state):
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
        return X_train, Y_train, sw_train, (X_val, Y_val, sw_val)

    def _validation_callables(self, validation_set, layer_units, activations):
        """``score(theta)`` (higher is better) and ``loss(theta)`` on the validation set."""
        X_val, Y_val, sw_val = validation_set
        rows = self._chunk_rows(layer_units, X_val.dtype.itemsize)
        evaluator = self._objective(layer_units, activations, X_val.dtype, min(rows, X_val.shape[0]))
        scorer = None if self.scoring is None else check_scoring(self, self.scoring)
        y_val = None if scorer is None else self._decode_targets(Y_val)

        def score(theta):
            with np.errstate(all="ignore"):
                if scorer is not None:
                    return self._score_with(scorer, theta, layer_units, X_val, y_val, sw_val)
                coefs, intercepts = unpack(theta, layer_units)
                output = forward_in_chunks(
                    coefs, intercepts, activations, self.out_activation_, X_val, rows
                )
            if not np.isfinite(output).all():
                return float("nan")
            return float(self._score_outputs(output, Y_val, sw_val))

        def loss(theta):
            with np.errstate(all="ignore"):
                return evaluator.value(theta, X_val, Y_val, sw_val)

        return score, loss

    def _score_with(self, scorer, theta, layer_units, X_val, y_val, sw_val):
        # A scorer calls the public predict methods: let them see the current weights.
        self._store_weights(theta, layer_units)
        kwargs = {} if sw_val is None else {"sample_weight": sw_val}
        with warnings.catch_warnings():
            # X_val was validated to an array already; its names were checked then.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            try:
                return float(scorer(self, X_val, y_val, **kwargs))
            except ValueError:
                return float("nan")  # e.g. non-finite predictions from a diverged epoch

    def _batch_size(self, n_samples, warn=True):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if warn and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going "
                "to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _make_optimizer(self, theta, incremental, n_batches=1, n_coef=None):
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
        schedule_and_decay = dict(
            total_steps=self.max_iter * n_batches,
            warmup_steps=self.learning_rate_warmup * n_batches,
            weight_decay=self.weight_decay,
            n_decay=n_coef,
        )
        if self.solver == "sgd":
            return SGD(
                theta,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
                state=state,
                **schedule_and_decay,
            )
        # Adam follows 'cosine'; scikit-learn's 'invscaling'/'adaptive' are SGD's only.
        schedule = "cosine" if self.learning_rate == "cosine" else "constant"
        return Adam(
            theta,
            self.learning_rate_init,
            self.beta_1,
            self.beta_2,
            self.epsilon,
            state=state,
            schedule=schedule,
            **schedule_and_decay,
        )

    def drop_training_state(self):
        """Drop what only continued training needs, for a compact deployment file.

        Removes the optimizer's state (Adam's two moment vectors, SGD's velocity) and
        the dropout generator's state, leaving the weights and the fitted attributes.
        Predictions are unchanged; a later ``partial_fit`` or warm-started ``fit``
        still works and starts the optimizer afresh (so it is no longer the exact
        continuation it would have been).

        Returns
        -------
        self : object
            The estimator, for chaining (``joblib.dump(est.drop_training_state(), f)``).
        """
        check_is_fitted(self)
        self._optimizer_state = None
        self._dropout_rng_state = None
        return self

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

    def _forward(self, X, final=None, n_layers=None):
        """Validated forward pass through the first ``n_layers`` weight layers (all by
        default) in bounded-memory row chunks; ``final`` defaults to the output link."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False
        )
        coefs = self.coefs_[:n_layers]
        layer_units = [self.n_features_in_] + [c.shape[1] for c in coefs]
        dtype = np.result_type(X.dtype, coefs[0].dtype)
        return forward_in_chunks(
            coefs,
            self.intercepts_[: len(coefs)],
            self._hidden_activations(len(self.coefs_) - 1),
            final or self.out_activation_,
            X,
            self._chunk_rows(layer_units, dtype.itemsize),
        )

    def hidden_activations(self, X, layer=-1):
        """Outputs of a hidden layer, for use as learned features.

        Deterministic (no dropout). Not named ``transform`` on purpose: that would
        make scikit-learn treat the estimator as a transformer in pipelines and checks.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        layer : int, default=-1
            Index of the hidden layer, counted from 0 (negative counts from the last
            hidden layer).

        Returns
        -------
        activations : ndarray of shape (n_samples, hidden_layer_sizes[layer])
            The layer's activations.
        """
        check_is_fitted(self)
        n_hidden = len(self.coefs_) - 1
        if not isinstance(layer, Integral) or not -n_hidden <= layer < n_hidden:
            raise ValueError(
                "layer must be an integer in [%d, %d) for a network with %d hidden "
                "layer(s); got %r." % (-n_hidden, n_hidden, n_hidden, layer)
            )
        layer = layer % n_hidden
        name = self._hidden_activations(n_hidden)[layer]
        return self._forward(X, final=ACTIVATIONS[name].forward, n_layers=layer + 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _copy_list(values):
    return None if values is None else list(values)
