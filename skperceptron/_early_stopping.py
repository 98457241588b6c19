"""Early stopping's validation data: the held-out split and the per-epoch score.

The epoch loop (``_solvers.stochastic``) only calls ``validation.score(theta)`` and
``validation.loss(theta)``; this module builds those callables for an estimator, from
an explicit ``(X_val, Y_val, sw_val)`` or from a split of the training data.
"""

import warnings

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split

from ._network import forward_in_chunks, unpack
from ._solvers import Validation
from ._validation import validate_input, validate_sample_weight


def explicit_validation_set(estimator, X_val, y_val, sample_weight_val, dtype, n_outputs):
    """The user's validation set ``(X_val, Y_val, sw_val)`` checked and encoded as the
    training data of this fit, or None when none is given."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val is given without X_val and y_val.")
        return None
    if X_val is None or y_val is None:
        raise ValueError("X_val and y_val must be given together.")
    if not estimator.early_stopping:
        raise ValueError(
            "X_val and y_val are used for early stopping only; set early_stopping=True."
        )
    X_val = validate_input(estimator, X_val, dtype=dtype, reset=False)
    Y_val = estimator._encode_validation_targets(y_val, dtype, n_outputs)
    if Y_val.shape[0] != X_val.shape[0]:
        raise ValueError(
            "X_val and y_val have different numbers of samples: %d and %d."
            % (X_val.shape[0], Y_val.shape[0])
        )
    sw_val = validate_sample_weight(sample_weight_val, X_val)
    return X_val, Y_val, estimator._weigh_samples(Y_val, sw_val, False)


def split_validation(X, Y, sample_weight, random_state, fraction, stratify):
    """Hold out ``fraction`` of the rows: ``X, Y, sw, (X_val, Y_val, sw_val)``."""
    arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
    split = train_test_split(
        *arrays, random_state=random_state, test_size=fraction, stratify=stratify
    )
    X_train, X_val, Y_train, Y_val = split[:4]
    sw_train, sw_val = split[4:] if sample_weight is not None else (None, None)
    if X_val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or "
            "the size of your dataset."
        )
    return X_train, Y_train, sw_train, (X_val, Y_val, sw_val)


def validation_monitor(estimator, start, validation_set):
    """:class:`~skperceptron._solvers.Validation` of ``estimator`` on ``validation_set``.

    The score is the estimator's ``scoring`` (a scorer sees a probe copy of the
    estimator holding the current weights) or its default score of the outputs; the
    loss is the mean data loss (no penalty, no dropout).
    """
    X_val, Y_val, sw_val = validation_set
    layer_units, activations = start.layer_units, start.activations
    rows = estimator._prediction_rows(layer_units, X_val.dtype.itemsize)
    evaluator = estimator._objective(start, X_val.dtype, min(rows, X_val.shape[0]))
    scorer = None if estimator.scoring is None else check_scoring(estimator, estimator.scoring)
    y_val = None if scorer is None else estimator._decode_targets(Y_val)
    out_activation = evaluator.loss.out_activation

    def score(theta):
        if scorer is not None:
            return _score_with(scorer, estimator._probe(start), X_val, y_val, sw_val)
        with np.errstate(all="ignore"):
            coefs, intercepts = unpack(theta, layer_units)
            output = forward_in_chunks(coefs, intercepts, activations, out_activation, X_val, rows)
        if not np.isfinite(output).all():
            return float("nan")
        return float(estimator._score_outputs(output, Y_val, sw_val))

    def loss(theta):
        with np.errstate(all="ignore"):
            return evaluator.value(theta, X_val, Y_val, sw_val)

    return Validation(score, loss)


def _score_with(scorer, probe, X_val, y_val, sw_val):
    kwargs = {} if sw_val is None else {"sample_weight": sw_val}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # X_val was validated to an array already; its names were checked then.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        try:
            return float(scorer(probe, X_val, y_val, **kwargs))
        except ValueError:
            return float("nan")  # e.g. non-finite predictions from a diverged epoch
