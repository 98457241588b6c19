"""Early stopping's validation data: the held-out split and the per-epoch score.

The epoch loop (``_solvers.stochastic``) only calls ``validation.score(theta)`` and
``validation.loss(theta)``; this module builds those callables for an estimator, from
an explicit ``(X_val, Y_val, sw_val)`` or from a split of the training data.
"""

import inspect
import warnings
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split

from . import _network_array
from ._fitted import TrainingData
from ._network import forward_in_chunks, unpack
from ._solvers import Validation
from ._validation import to_host, validate_host_sample_weight, validate_input


def explicit_validation_set(estimator, X_val, y_val, sample_weight_val, data):
    """The user's validation set checked and encoded as the training ``data`` of this
    fit (a :class:`~skperceptron._fitted.TrainingData`), or None when none is given."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val is given without X_val and y_val.")
        return None
    if X_val is None or y_val is None:
        raise ValueError("X_val and y_val must be given together.")
    if estimator.solver == "lbfgs":
        raise ValueError(
            "X_val and y_val are used for early stopping, which solver='lbfgs' does not "
            "do; use solver='sgd' or 'adam'."
        )
    if not estimator.early_stopping:
        raise ValueError(
            "X_val and y_val are used for early stopping only; set early_stopping=True."
        )
    ops = data.ops
    # The validation rows follow X, as the training labels do: numpy for a numpy X.
    X_val = X_val if ops is not None else to_host(X_val)
    with _naming("X_val"):
        X_val = validate_input(estimator, X_val, dtype=data.dtype, reset=False)
    if ops is not None:
        X_val = ops.asarray(X_val)
    with _naming("y_val"):
        Y_val = estimator._encode_validation_targets(to_host(y_val), data.dtype, data.Y.shape[1])
    if Y_val.shape[0] != X_val.shape[0]:
        raise ValueError(
            "X_val and y_val have different numbers of samples: %d and %d."
            % (X_val.shape[0], Y_val.shape[0])
        )
    with _naming("sample_weight_val"):
        sw_val = validate_host_sample_weight(sample_weight_val, X_val.shape[0], data.dtype)
    sw_val = estimator._weigh_samples(Y_val, sw_val, False)
    return TrainingData.from_host(X_val, Y_val, sw_val, ops)


@contextmanager
def _naming(argument):
    """Checks of ``argument`` written for the training arguments (``X``,
    ``sample_weight``): their ValueError names the argument that failed them."""
    try:
        yield
    except ValueError as error:
        if argument in str(error):  # the message names it already
            raise
        raise ValueError(f"{argument}: {error}") from error


def split_validation(data, random_state, fraction, stratify):
    """Hold out ``fraction`` of the rows: the training and the validation
    :class:`~skperceptron._fitted.TrainingData`.

    The split is drawn on the rows' indices, so it is the same for an input on a device
    as for the same data in numpy."""
    Y, sample_weight = data.on_host()
    rows = np.arange(data.X.shape[0])
    arrays = (rows, Y) if sample_weight is None else (rows, Y, sample_weight)
    split = train_test_split(
        *arrays, random_state=random_state, test_size=fraction, stratify=stratify
    )
    train, val, Y_train, Y_val = split[:4]
    sw_train, sw_val = split[4:] if sample_weight is not None else (None, None)
    if val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or "
            "the size of your dataset."
        )
    return (
        TrainingData.from_host(_take_rows(data, train), Y_train, sw_train, data.ops),
        TrainingData.from_host(_take_rows(data, val), Y_val, sw_val, data.ops),
    )


def _take_rows(data, rows):
    if data.ops is None:
        return data.X[rows]
    return data.ops.take_rows(data.X, data.ops.asarray(rows))


def validation_monitor(estimator, start, validation_set):
    """:class:`~skperceptron._solvers.Validation` of ``estimator`` on ``validation_set``.

    The score is the estimator's ``scoring`` (a scorer sees a probe copy of the
    estimator holding the current weights, on the host) or its default score of the
    outputs; the loss is the mean data loss (no penalty, no dropout). On a device the
    outputs come to the host once per epoch for the score.
    """
    X_val, Y_val, sw_val = validation_set.X, validation_set.Y, validation_set.sample_weight
    Y_host, sw_host = validation_set.on_host()
    ops = validation_set.ops
    layer_units, activations = start.layer_units, start.activations
    dtype = validation_set.dtype
    rows = estimator._prediction_rows(layer_units, dtype.itemsize)
    evaluator = estimator._objective(start, dtype, min(rows, X_val.shape[0]))
    scorer = None if estimator.scoring is None else check_scoring(estimator, estimator.scoring)
    y_val = None if scorer is None else estimator._decode_targets(Y_host)
    X_score = None if scorer is None else to_host(X_val)
    # The validation rows' weights (sample_weight_val, the split's share of fit's, or
    # class_weight) go to a scorer that takes them; one written as
    # scorer(estimator, X, y) scores the rows unweighted.
    sw_score = sw_host if scorer is not None and _takes_sample_weight(scorer) else None
    forward = _forward_for(ops, layer_units, activations, evaluator.loss.out_activation, rows)

    def outputs_finite(theta):
        with np.errstate(all="ignore"):  # a diverging epoch's outputs may overflow
            output = forward(theta, X_val)
        return bool(np.isfinite(output).all()), output

    def score(theta):
        if scorer is not None:
            probe = estimator._probe(_host_start(start, theta))
            try:
                return _score_with(scorer, probe, X_score, y_val, sw_score)
            except ValueError:
                # The probe refuses to predict from a diverged epoch's weights: that
                # epoch is rolled back. Any other error is the scorer's own, and fails
                # the fit (the split may lack a class that the scorer needs).
                if outputs_finite(theta)[0]:
                    raise
                return float("nan")
        finite, output = outputs_finite(theta)
        if not finite:
            return float("nan")
        with np.errstate(all="ignore"):
            return float(estimator._score_outputs(output, Y_host, sw_host))

    def loss(theta):
        with np.errstate(all="ignore"):
            return float(evaluator.value(theta, X_val, Y_val, sw_val))

    return Validation(score, loss)


def _forward_for(ops, layer_units, activations, out_activation, rows):
    """``forward(theta, X)``: the network's output as a numpy array."""
    if ops is None:
        def forward(theta, X):
            coefs, intercepts = unpack(theta, layer_units)
            return forward_in_chunks(coefs, intercepts, activations, out_activation, X, rows)
        return forward

    def forward_on_device(theta, X):
        coefs, intercepts = _network_array.unpack(ops.xp, theta, layer_units)
        return ops.to_host(_network_array.forward_in_chunks(
            ops, coefs, intercepts, activations, out_activation, X, rows
        ))
    return forward_on_device


def _host_start(start, theta):
    """``start`` with ``theta`` (the live weights) on the host, for a scorer's probe."""
    ops = start.ops
    host = theta if ops is None else ops.to_host(theta)
    return replace(start, theta=host, ops=None)


def _takes_sample_weight(scorer):
    """Whether ``scorer`` accepts ``sample_weight=``: scikit-learn's scorers do, a
    callable written as ``scorer(estimator, X, y)`` does not."""
    try:
        parameters = inspect.signature(scorer).parameters.values()
    except (TypeError, ValueError):  # no signature to read (some C callables)
        return True
    return any(p.name == "sample_weight" or p.kind is p.VAR_KEYWORD for p in parameters)


def _score_with(scorer, probe, X_val, y_val, sw_val):
    kwargs = {} if sw_val is None else {"sample_weight": sw_val}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # X_val was validated to an array already; its names were checked then.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return float(scorer(probe, X_val, y_val, **kwargs))
