"""The steps of ``PerceptronClassifier.fit`` and ``partial_fit``, validated input on.

From validated rows to the stored model: the class checks, the starting weights (zeros,
``coef_init`` or a warm start), the class weights, the training loop
(``_perceptron_training``), how the loop ended said as scikit-learn says it (the
overflow error, the interrupt and convergence warnings), the temperature of
``predict_proba`` (``_calibration``) and the one method that makes the fitted
attributes (of the fit, and of each epoch's model that callbacks ask for). The
estimator (``_perceptron.py``) holds the parameters, input validation, the public
methods and the docstrings.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import compute_class_weight

from . import _perceptron_data as data
from . import _perceptron_training as training
from ._calibration import fit_temperature, pooled_temperature
from ._state import interrupted_early, transactional
from ._validation import (
    _check_partial_fit_first_call,
    _check_sample_weight,
    check_class_weights,
    check_random_state,
    to_host,
    unique_labels,
)

# The estimator parameters the training loop reads (its Settings record, with max_iter
# and the shuffle seeds).
SETTINGS = ("penalty", "alpha", "l1_ratio", "fit_intercept", "tol", "shuffle", "verbose",
            "eta0", "early_stopping", "n_iter_no_change", "average")


def sklearn_draws(random_state, n_columns, split):
    """``split()`` (the validation mask) and each class's shuffle seed, drawn from
    ``random_state`` as scikit-learn's SGD draws them, in its order: a binary fit draws
    its dataset's seed before the split, a one-vs-rest fit its classes' seeds after it.
    The order shows when one RandomState instance serves all of them."""
    max_int = np.iinfo(np.int32).max
    rng = check_random_state(random_state)
    if n_columns == 1:
        rng.randint(1, max_int)  # the dataset object's seed, unused for the order
        return split(), [int(rng.randint(max_int))]
    mask, seeds = split(), []
    for seed in rng.randint(max_int, size=n_columns):
        class_rng = check_random_state(seed)
        class_rng.randint(1, max_int)  # idem
        seeds.append(int(class_rng.randint(max_int)))
    return mask, seeds


class PerceptronFitting:
    """``_fit`` and ``_partial_fit`` of :class:`PerceptronClassifier`; not for direct use.

    The estimator supplies its parameters, ``_validate_rows`` and ``_calibrate``.
    """

    # A failed call (bad input, overflow, a failing callback) leaves a fitted model as
    # it was: every attribute is restored by the same mechanism as the MLPs'.
    @transactional
    def _fit(self, X, y, coef_init, intercept_init, sample_weight, hooks):
        # Labels and weights of another Array API namespace follow the numpy X.
        y, sample_weight = to_host(y), to_host(sample_weight)
        X, y = self._validate_rows(X, y, reset=True)
        # As scikit-learn's Perceptron (its first partial_fit call): object-dtype
        # string labels give a str classes_, and predict returns str labels.
        classes = unique_labels(y)  # check_classification_targets has checked them
        n_columns = _n_columns(classes)
        coef_init, intercept_init, warm = self._warm_start_weights(
            classes, X.shape[1], coef_init, intercept_init)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True,
            allow_all_zero_weights=self.early_stopping,
        )
        coef, intercept = data.initial_weights(
            coef_init, intercept_init, n_columns, X.shape[1], X.dtype
        )
        start = training.Start(coef, intercept,
                               total_epochs=getattr(self, "_total_epochs", 0) if warm else 0)
        validation, seeds = self._draws(y, sample_weight, n_columns)
        rows = data.make_rows(X, _codes(y, classes), sample_weight, validation)
        return self._train(rows, self._class_weight(classes, y), classes, start, seeds,
                           hooks=hooks)

    def _warm_start_weights(self, classes, n_features, coef_init, intercept_init):
        """``(coef_init, intercept_init, warm)``: a warm start takes each initial weight
        that is not given from the fit, on its own (scikit-learn's rule: ``coef_init``
        alone keeps the fitted ``intercept_``); ``warm`` says whether any was taken."""
        fitted = self.warm_start and hasattr(self, "coef_")
        take_coef, take_intercept = fitted and coef_init is None, fitted and intercept_init is None
        if (take_coef or take_intercept) and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start=True needs the same classes as the fitted model, "
                f"{self.classes_.tolist()}, but y has classes {classes.tolist()}; set "
                "warm_start=False to fit a new model."
            )
        if take_coef and n_features != self.coef_.shape[1]:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is expecting "
                f"{self.coef_.shape[1]} features as input: warm_start=True continues "
                "from the fitted coef_; set warm_start=False to fit a new model."
            )
        coef_init = data.dense_coef(self.coef_) if take_coef else coef_init
        intercept_init = self.intercept_ if take_intercept else intercept_init
        return coef_init, intercept_init, take_coef or take_intercept

    @transactional
    def _partial_fit(self, X, y, classes, sample_weight):
        first_call = not hasattr(self, "classes_")
        if first_call and self.early_stopping:
            raise ValueError("early_stopping should be False with partial_fit")
        if first_call and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: compute "
                "the weights on a representative sample with "
                "sklearn.utils.compute_class_weight and pass them as a dict."
            )
        y, sample_weight, classes = to_host(y), to_host(sample_weight), to_host(classes)
        X, y = self._validate_rows(X, y, reset=first_call)
        _check_partial_fit_first_call(self, classes)
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()} not in classes "
                f"{self.classes_.tolist()} given on the first call."
            )
        n_columns = _n_columns(self.classes_)
        if first_call:
            start = training.Start(
                *data.initial_weights(None, None, n_columns, X.shape[1], X.dtype))
        else:
            # Copies: training updates its weights in place, and a call that fails
            # (overflow, Ctrl-C during calibration) must leave the stored ones intact.
            start = training.Start(
                *(None if w is None else w.copy() for w in (
                    self._standard_coef, self._standard_intercept,
                    self._average_coef, self._average_intercept)),
                self.t_, self._total_epochs,
            )
            X = X.astype(start.coef.dtype, copy=False)  # the weights' dtype rules
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        # scikit-learn refuses early_stopping on a first partial_fit only; a later one
        # holds out the validation split of fit and trains its epoch on the rest.
        validation, seeds = self._draws(y, sample_weight, n_columns)
        rows = data.make_rows(X, _codes(y, self.classes_), sample_weight, validation)
        return self._train(rows, self._class_weight(self.classes_, y), self.classes_, start,
                           seeds, online=True)

    def _draws(self, y, sample_weight, n_columns):
        """The validation mask and the shuffle seeds (:func:`sklearn_draws`)."""
        return sklearn_draws(self.random_state, n_columns, lambda: data.validation_mask(
            y, sample_weight, self.early_stopping, self.validation_fraction,
            self.random_state))

    def _class_weight(self, classes, y):
        if self.class_weight is None:
            return np.ones(classes.shape[0])
        return check_class_weights(
            compute_class_weight(self.class_weight, classes=classes, y=y), self.class_weight
        )

    def _train(self, rows, class_weight, classes, start, seeds, *, online=False, hooks=None):
        """Train, fit the temperature, store; on a Ctrl-C in the first epoch, keep the
        model as it was (:func:`~._state.interrupted_early`)."""
        max_iter = 1 if online else self.max_iter
        settings = training.Settings(
            max_iter=max_iter, seeds=seeds, **{name: getattr(self, name) for name in SETTINGS})
        # Each epoch's model, built only if a callback asks (hooks that only count
        # epochs, the bare HOOKS protocol, have no ``start_models``).
        if hasattr(hooks, "start_models"):
            hooks.start_models(lambda record: self._epoch_attributes(record, classes, rows, online))
        result = training.train(rows, class_weight, start, settings, hooks=hooks,
                                record_margins=self._calibrate)
        if result.interrupted and result.n_iter == 0:
            raise interrupted_early(self, "coef_")
        if not (np.isfinite(result.coef).all() and np.isfinite(result.intercept).all()):
            raise ValueError(training.OVERFLOW_MESSAGE.format(result.n_iter))
        if result.interrupted:
            warnings.warn(f"Training interrupted by user; keeping the model after epoch "
                          f"{result.n_iter}, the last completed one (every class from "
                          "that epoch).", UserWarning)
        elif (self.tol is not None and not online and result.n_iter == max_iter
              and not result.stopped_by_hook):
            warnings.warn("Maximum number of iteration reached before convergence. "
                          "Consider increasing max_iter to improve the fit.",
                          ConvergenceWarning)
        self.__dict__.update(
            self._attributes(classes, result, self._temperature(result, rows, online)))
        return self

    def _epoch_attributes(self, record, classes, rows, online):
        """The fitted attributes of an epoch record's model (``fit(max_iter=epoch)``)."""
        if record.model is None:
            return None
        result = record.model()
        return self._attributes(classes, result, self._temperature(result, rows, online))

    def _temperature(self, result, rows, online):
        """``(temperature, rows behind it)``; ``partial_fit`` pools with the previous."""
        if not self._calibrate:
            return 1.0, 0
        scores, codes, weights = data.held_out_scores(result, rows)
        temperature = fit_temperature(scores, codes, weights, platt_targets=True)
        count = codes.shape[0]
        previous = getattr(self, "_calibration_rows", 0) if online else 0
        if previous:
            # The older rows capped, so that T follows the growing weights.
            temperature = pooled_temperature(
                self.temperature_, min(previous, data.CALIBRATION_ROWS), temperature, count)
        return temperature, previous + count

    @staticmethod
    def _attributes(classes, result, calibration):
        """The fitted attributes of a training :class:`~._perceptron_training.Result`."""
        return {
            "classes_": classes,
            "coef_": result.coef,
            "intercept_": result.intercept,
            "n_iter_": result.n_iter,
            "t_": result.t,
            "temperature_": float(calibration[0]),
            "_calibration_rows": int(calibration[1]),
            "_total_epochs": int(result.total_epochs),
            "_standard_coef": result.standard_coef,
            "_standard_intercept": result.standard_intercept,
            "_average_coef": result.average_coef,
            "_average_intercept": result.average_intercept,
        }


def _n_columns(classes):
    """One weight column for two classes, one per class (one-vs-rest) otherwise."""
    if classes.shape[0] < 2:
        raise ValueError(
            "The number of classes has to be greater than one; got %d class"
            % classes.shape[0]
        )
    return 1 if classes.shape[0] == 2 else classes.shape[0]


def _codes(y, classes):
    return np.searchsorted(classes, y).astype(np.intp)
