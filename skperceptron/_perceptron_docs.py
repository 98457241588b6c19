"""The numpydoc sections of ``PerceptronClassifier``'s docstring, filled in by :func:`fill_doc`.

``%(parameters)s``, ``%(attributes)s`` and ``%(notes)s`` in the class docstring become
the sections below, so that the estimator module holds the estimator's code.
"""

PARAMETERS = """\
    penalty : {'l2', 'l1', 'elasticnet'}, default=None
        Regularisation applied at each update (weight decay for L2, truncated gradient
        for L1).
    alpha : float, default=0.0001
        Strength of the penalty.
    l1_ratio : float, default=0.15
        Elastic-net mixing, ``0 <= l1_ratio <= 1``; only used with ``'elasticnet'``.
    fit_intercept : bool, default=True
        Whether to learn an intercept.
    max_iter : int, default=1000
        Maximum number of epochs of :meth:`fit` (``partial_fit`` runs one).
    tol : float or None, default=1e-3
        Stop a class when its mean training loss has not dropped by ``tol`` for
        ``n_iter_no_change`` epochs (validation accuracy with ``early_stopping``).
        None trains for ``max_iter`` epochs.
    shuffle : bool, default=True
        Whether to shuffle the training rows before each epoch.
    verbose : int, default=0
        Print per-epoch progress when positive.
    eta0 : float, default=1.0
        Step size of each update.
    n_jobs : int, default=None
        Accepted for compatibility. The compiled loop updates all classes in one pass,
        so there is nothing to run in parallel; it is ignored.
    random_state : int, RandomState instance or None, default=0
        Seeds the epoch shuffles and the validation split.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified) and stop a class when
        its validation accuracy stops improving by ``tol``.
    validation_fraction : float, default=0.1
        Fraction of rows held out for early stopping.
    n_iter_no_change : int, default=5
        Epochs without improvement tolerated before stopping.
    class_weight : dict, 'balanced' or None, default=None
        Multiplies the step of rows of each class. In one-vs-rest (more than two classes)
        each class's weight applies to its own positive rows only, as in scikit-learn.
    warm_start : bool, default=False
        Start :meth:`fit` from the previous ``coef_`` and ``intercept_``.
    average : bool or int, default=False
        True: ``coef_`` is the average of the weights over all updates (averaged
        perceptron). An int ``n``: average from the ``n``-th update on; until ``n``
        updates have been made, ``coef_`` is the last weights (as scikit-learn's).
        Averaged weights usually give better-calibrated probabilities."""

ATTRIBUTES = """\
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; one row for binary problems.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    n_iter_ : int
        Epochs run by the last call (the maximum over one-vs-rest classes).
    t_ : float
        Number of updates plus one, ``1 + n_iter_ * n_samples`` after one ``fit``.
    temperature_ : float
        Temperature of ``predict_proba``, which is exactly
        ``link(decision_function(X) / temperature_)``: sigmoid for binary, softmax for
        multiclass problems. Fitted on held-out scores, see Notes.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names."""

NOTES = """\
    ``predict``, ``decision_function`` and ``predict_proba`` are functions of one score
    ``s = decision_function(X)``: ``predict_proba`` is ``[1 - p, p]`` with
    ``p = sigmoid(s / T)`` for two classes and ``softmax(s / T)`` over the one-vs-rest
    scores otherwise, so its argmax is ``predict`` wherever the probabilities differ.
    ``T`` (``temperature_``) minimises the weighted log loss of held-out scores against
    Platt's smoothed targets (``(n + 1) / (n + 2)`` of the mass on a row's own class,
    ``n`` that class's row count; separating scores then keep a finite ``T``), found
    without any extra fit: the validation split with ``early_stopping``; else, for the
    last weights, the progressive-validation scores of the last epoch (each row scored
    by the weights just before its own update, which training computes anyway); for
    averaged weights, the training rows scored by the average. ``partial_fit`` refits
    ``T`` on its batch and pools it with the previous value by row count. When the
    training rows are separated (``n_features`` not much below ``n_samples``) the
    probabilities are overconfident, and with features of small magnitude (about
    0.01 and below) they flatten towards uniform; ``early_stopping=True`` calibrates
    on held-out rows in both cases (see the user guide).
    A Ctrl-C during ``fit`` or ``partial_fit`` keeps the model of the last completed
    epoch (every column from that epoch), or the previous model if no epoch completed,
    with a warning saying which."""


def fill_doc(cls):
    """Put the sections into ``cls.__doc__`` (the ``%(name)s`` placeholders)."""
    sections = {"parameters": PARAMETERS, "attributes": ATTRIBUTES, "notes": NOTES}
    for name, text in sections.items():
        cls.__doc__ = cls.__doc__.replace(f"%({name})s", text)
    return cls
