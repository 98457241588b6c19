"""The features scikit-learn declined: each against an oracle or a behaviour it must change."""

import math
import pickle
import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    recall_score,
)
from test_network import _central_differences
from test_safety import quadratic_divergence

from skperceptron import MLPClassifier, MLPRegressor
from skperceptron._network import Objective, n_params
from skperceptron._optimizers import SGD, Adam
from skperceptron._solvers import _clip_by_global_norm


def _head(data, n):
    """The first ``n`` rows of a shared (X, y) data set."""
    return data[0][:n], data[1][:n]


# ------------------------------------------------------------------ dropout
@pytest.mark.parametrize("activation", ["relu", "logistic", "gelu"])
def test_dropout_gradient_with_a_fixed_mask(activation):
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(6, 4)), np.eye(3)[rng.randint(3, size=6)]
    units = [4, 5, 4, 3]
    theta = rng.normal(scale=0.5, size=n_params(units))
    obj = Objective(units, [activation] * 2, "log_loss", 0.1, np.float64, 6, dropout=[0.3, 0.5])

    def value_and_grad(t):
        obj.rng = np.random.default_rng(7)  # the same masks at every evaluation
        v, g = obj.value_and_grad(t, X, Y)
        return v, g.copy()

    expected = _central_differences(lambda t: value_and_grad(t)[0], theta)
    np.testing.assert_allclose(value_and_grad(theta)[1], expected, rtol=1e-5, atol=1e-8)


def test_dropout_changes_training_not_prediction_determinism(digits):
    X, y = _head(digits, 600)
    params = dict(hidden_layer_sizes=(32,), max_iter=10, random_state=0)
    plain = MLPClassifier(**params).fit(X, y)
    dropped = MLPClassifier(dropout=0.3, **params).fit(X, y)
    again = MLPClassifier(dropout=0.3, **params).fit(X, y)
    assert not np.allclose(plain.coefs_[0], dropped.coefs_[0])
    np.testing.assert_array_equal(dropped.coefs_[0], again.coefs_[0])  # reproducible
    # Prediction uses no mask: it is the plain forward pass of the fitted weights.
    (W0, W1), (b0, b1) = dropped.coefs_, dropped.intercepts_
    expected = softmax(np.maximum(X @ W0 + b0, 0) @ W1 + b1, axis=1)
    np.testing.assert_allclose(dropped.predict_proba(X), expected, rtol=1e-10, atol=1e-14)


def test_dropout_partial_fit_replays_fit_exactly(digits):
    X, y = _head(digits, 300)
    params = dict(hidden_layer_sizes=(16, 8), dropout=[0.2, 0.4], random_state=0, solver="sgd")
    fitted = MLPClassifier(max_iter=4, tol=0, **params).fit(X, y)
    inc = MLPClassifier(**params)
    for _ in range(4):
        inc.partial_fit(X, y, classes=np.arange(10))
    for a, b in zip(fitted.coefs_, inc.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [1.0, -0.1, [0.1, 0.2]])
def test_dropout_validation(bad, digits):
    X, y = _head(digits, 100)
    with pytest.raises(ValueError, match="dropout"):
        MLPClassifier(hidden_layer_sizes=(5,), dropout=bad, max_iter=2).fit(X, y)


def test_dropout_and_weight_decay_refused_for_lbfgs(digits):
    X, y = _head(digits, 100)
    for kw in (dict(dropout=0.1), dict(weight_decay=0.1)):
        with pytest.raises(ValueError, match="stochastic solvers"):
            MLPClassifier(solver="lbfgs", **kw).fit(X, y)


# ------------------------------------------------------------- class weights
def test_class_weight_equals_sample_weight_per_class(iris):
    X, y = iris
    weights = {0: 3.0, 1: 0.5, 2: 1.0}
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50, random_state=0)
    a = MLPClassifier(class_weight=weights, **params).fit(X, y)
    sw = np.array([weights[c] for c in y])
    b = MLPClassifier(**params).fit(X, y, sample_weight=sw)
    for u, v in zip(a.coefs_, b.coefs_, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-10)
    # Multiplicative with sample_weight.
    c = MLPClassifier(class_weight=weights, **params).fit(X, y, sample_weight=sw)
    d = MLPClassifier(**params).fit(X, y, sample_weight=sw**2)
    np.testing.assert_allclose(c.coefs_[0], d.coefs_[0], rtol=1e-10)


def test_balanced_class_weight_raises_minority_recall():
    X, y = make_classification(
        n_samples=600, weights=[0.95], flip_y=0, class_sep=0.6, random_state=0
    )
    params = dict(hidden_layer_sizes=(16,), max_iter=200, random_state=0)
    plain = MLPClassifier(**params).fit(X[:400], y[:400])
    balanced = MLPClassifier(class_weight="balanced", **params).fit(X[:400], y[:400])
    r_plain = recall_score(y[400:], plain.predict(X[400:]))
    r_bal = recall_score(y[400:], balanced.predict(X[400:]))
    assert r_bal > r_plain


def test_class_weight_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not in class_weight"):
        MLPClassifier(class_weight={7: 2.0}, max_iter=2).fit(X, y)


# -------------------------------------------------------------- weight decay
def test_decoupled_weight_decay_closed_form():
    n_decay = 4
    theta = np.arange(1.0, 7.0)
    g = np.linspace(-1, 1, 6)
    sgd = SGD(
        theta,
        learning_rate_init=0.1,
        momentum=0.0,
        nesterov=False,
        weight_decay=0.5,
        n_decay=n_decay,
    )
    expected = theta.copy()
    expected[:n_decay] -= 0.1 * 0.5 * expected[:n_decay]
    expected -= 0.1 * g
    sgd.step(theta, g)
    np.testing.assert_allclose(theta, expected)

    # AdamW: the decay uses the scheduled rate, not Adam's moment-normalised step.
    a = np.arange(1.0, 7.0)
    plain = np.arange(1.0, 7.0)
    Adam(a, learning_rate_init=0.01, weight_decay=0.5, n_decay=n_decay).step(a, g)
    Adam(plain, learning_rate_init=0.01).step(plain, g)
    decay = np.zeros(6)
    decay[:n_decay] = 0.01 * 0.5 * np.arange(1.0, 7.0)[:n_decay]
    np.testing.assert_allclose(a, plain - decay)


def test_weight_decay_shrinks_weights_and_is_not_in_the_loss(digits):
    X, y = _head(digits, 600)
    params = dict(hidden_layer_sizes=(32,), max_iter=20, random_state=0)
    plain = MLPClassifier(**params).fit(X, y)
    decayed = MLPClassifier(weight_decay=10.0, **params).fit(X, y)
    norm = lambda est: sum((c**2).sum() for c in est.coefs_)
    assert norm(decayed) < 0.8 * norm(plain)
    # alpha enters the loss, decoupled decay does not. With one full batch the first
    # epoch's loss is the loss at the initial weights, before any step has decayed them:
    # equal with and without weight decay, and larger by alpha's penalty with alpha.
    first = lambda **kw: MLPClassifier(
        **{**params, "max_iter": 1, "batch_size": len(X), **kw}
    ).fit(X, y).loss_curve_[0]
    assert first(weight_decay=10.0) == pytest.approx(first(), rel=1e-12)
    assert first(alpha=50.0) > first() + 1.0


# ---------------------------------------------------------------- schedules
def test_cosine_schedule_with_warmup_closed_form():
    opt = Adam(
        np.zeros(3), learning_rate_init=1.0, schedule="cosine", total_steps=110, warmup_steps=10
    )
    mult = [opt._multiplier(s) for s in range(111)]
    np.testing.assert_allclose(mult[:10], np.arange(1, 11) / 10)
    for s in (10, 35, 60, 85, 110):
        assert mult[s] == pytest.approx(0.5 * (1 + np.cos(np.pi * (s - 10) / 100)))
    assert mult[110] == pytest.approx(0.0)


def test_cosine_schedule_changes_sgd_and_adam_training(digits):
    X, y = _head(digits, 300)
    for solver in ("sgd", "adam"):
        params = dict(hidden_layer_sizes=(16,), solver=solver, max_iter=5, random_state=0)
        a = MLPClassifier(**params).fit(X, y)
        b = MLPClassifier(learning_rate="cosine", learning_rate_warmup=1, **params).fit(X, y)
        assert not np.allclose(a.coefs_[0], b.coefs_[0])


# ---------------------------------------------------------------- clipping
def test_clip_by_global_norm_closed_form():
    g = np.array([3.0, 4.0])
    _clip_by_global_norm(g, 1.0)
    np.testing.assert_allclose(g, [0.6, 0.8])
    h = np.array([0.3, 0.4])
    _clip_by_global_norm(h, 1.0)
    np.testing.assert_allclose(h, [0.3, 0.4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", ["squares overflow", "norm overflows"])
def test_clip_by_global_norm_when_the_sum_of_squares_overflows(dtype, size):
    # Finite entries whose squares overflow the dtype (float32: a norm above ~1.8e19):
    # the norm came out inf and the "clipped" gradient was all zeros. Entries near the
    # dtype's maximum have a norm beyond it, so the factor must not be formed from it.
    top = np.finfo(dtype).max / 2
    big = {"squares overflow": 1e20 if dtype == np.float32 else 1e160,
           "norm overflows": top / 4}[size]
    g = (np.array([3.0, -4.0, 0.0]) * big).astype(dtype)
    h = g.copy()
    _clip_by_global_norm(g, 2.0)
    np.testing.assert_allclose(g, [1.2, -1.6, 0.0], rtol=1e-6)
    assert g.dtype == dtype
    # A norm below max_norm is left alone, even where its squares overflow.
    longer = h.copy()
    _clip_by_global_norm(longer, float(np.finfo(dtype).max))
    np.testing.assert_array_equal(longer, h)


def test_clipping_rescales_a_float32_gradient_beyond_its_squares_range():
    # The reviewer's case: a badly scaled regression whose float32 gradient norm
    # (~1e20) overflows as a sum of squares. Each SGD step then moves the weights by
    # lr * max_grad_norm, in float32 as in float64.
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (40, 2)) * 1e10
    y = X @ [0.3, 0.7] + 1e9
    params = dict(hidden_layer_sizes=(), solver="sgd", momentum=0.0, max_grad_norm=1.0,
                  learning_rate_init=1e-3, batch_size=40, shuffle=False, max_iter=3,
                  random_state=0)
    start = MLPRegressor(**{**params, "max_iter": 1, "learning_rate_init": 1e-300})
    for dtype in (np.float32, np.float64):
        Xd, yd = X.astype(dtype), y.astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            w0 = start.fit(Xd, yd).coefs_[0].astype(np.float64)
            w = MLPRegressor(**params).fit(Xd, yd).coefs_[0].astype(np.float64)
        moved = np.sqrt(np.sum((w - w0) ** 2) + 0.0)
        # The intercept takes part of each unit step: the weights move by at most 3e-3.
        assert 1e-3 < moved <= 3e-3 * (1 + 1e-4), (dtype, moved)


def test_clipping_tames_a_large_learning_rate(digits):
    X, y = _head(digits, 300)
    params = dict(
        hidden_layer_sizes=(16,),
        solver="sgd",
        learning_rate_init=5.0,
        momentum=0.0,
        max_iter=5,
        random_state=0,
    )
    wild = MLPClassifier(**params).fit(X, y)
    clipped = MLPClassifier(max_grad_norm=0.01, **params).fit(X, y)
    assert not np.allclose(wild.coefs_[0], clipped.coefs_[0])
    # Each step moves the weights by at most lr * max_norm.
    start = MLPClassifier(**{**params, "max_iter": 1, "learning_rate_init": 1e-300}).fit(X, y)
    steps = 5 * 2  # 5 epochs x 2 batches of <= 200
    assert (
        np.sqrt(
            sum(((a - b) ** 2).sum() for a, b in zip(clipped.coefs_, start.coefs_, strict=True))
        )
        <= 5.0 * 0.01 * steps + 1e-9
    )


# -------------------------------------------------------------- activations
@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "softplus", "gelu", "silu"])
def test_new_activations_learn_as_well_as_relu(activation, digits):
    X, y = _head(digits, 600)
    fit = lambda act: MLPClassifier(
        (32,), activation=act, solver="lbfgs", max_iter=200, random_state=0
    ).fit(X[:450], y[:450])
    assert fit(activation).score(X[450:], y[450:]) > fit("relu").score(X[450:], y[450:]) - 0.05


_ERF = np.vectorize(math.erf)
CLOSED_FORMS = {  # the documented definitions, written independently of the package
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "softplus": lambda z: np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0),
    "gelu": lambda z: 0.5 * z * (1 + _ERF(z / math.sqrt(2))),
    "silu": lambda z: z / (1 + np.exp(-z)),
}


@pytest.mark.parametrize("activation", CLOSED_FORMS)
def test_new_activations_are_their_closed_forms(activation, digits):
    X, y = _head(digits, 200)
    clf = MLPClassifier((8,), activation=activation, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    Z = X @ clf.coefs_[0] + clf.intercepts_[0]
    assert (Z < 0).any() and (Z > 0).any()  # both branches are exercised
    np.testing.assert_allclose(
        clf.hidden_activations(X, layer=0), CLOSED_FORMS[activation](Z), rtol=1e-10, atol=1e-13
    )


def test_per_layer_activations_and_hidden_features(digits):
    X, y = _head(digits, 200)
    clf = MLPClassifier((6, 4), activation=["tanh", "relu"], max_iter=5, random_state=0).fit(X, y)
    W0, W1 = clf.coefs_[:2]
    b0, b1 = clf.intercepts_[:2]
    h0 = np.tanh(X @ W0 + b0)
    h1 = np.maximum(h0 @ W1 + b1, 0)
    np.testing.assert_allclose(clf.hidden_activations(X, layer=0), h0, rtol=1e-12)
    np.testing.assert_allclose(clf.hidden_activations(X), h1, rtol=1e-12, atol=1e-15)
    for bad in (2, True, 0.0):  # out of range; a bool or float is not a layer index
        with pytest.raises(ValueError, match="layer must be an integer"):
            clf.hidden_activations(X, layer=bad)
    with pytest.raises(ValueError, match="one name per hidden layer"):
        MLPClassifier((6, 4), activation=["tanh"]).fit(X, y)


# ------------------------------------------------------------ initialisation
def _initialised(scheme, X, y):
    """A network at its initial weights (one step of a vanishing learning rate)."""
    clf = MLPClassifier(
        (300,), weight_init=scheme, solver="sgd", learning_rate_init=1e-300, random_state=0
    )
    return clf.partial_fit(X, y, classes=[0, 1])


def test_weight_init_schemes_have_their_variance_and_are_reproducible():
    X = np.random.RandomState(0).normal(size=(20, 400))
    y = np.arange(20) % 2
    for scheme, std in [
        ("he_normal", np.sqrt(2 / 400)),
        ("lecun_normal", np.sqrt(1 / 400)),
        ("he_uniform", np.sqrt(2 / 400)),
    ]:
        a, b = _initialised(scheme, X, y), _initialised(scheme, X, y)
        np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
        assert a.coefs_[0].std() == pytest.approx(std, rel=0.02)
        np.testing.assert_allclose(a.intercepts_[0], 0, atol=1e-250)  # zero, moved by 1e-300 steps
        # The family: uniform on [-sqrt(3) std, sqrt(3) std], normal far beyond it
        # (120,000 draws pass 1.73 std thousands of times).
        bound, largest = np.sqrt(3) * std, np.abs(a.coefs_[0]).max()
        if scheme.endswith("uniform"):
            assert 0.99 * bound <= largest <= bound * (1 + 1e-12)
        else:
            assert largest > 2 * bound


# ------------------------------------------------------------ regression losses
def test_huber_and_absolute_error_resist_outliers():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(200, 1))
    y = 3 * X[:, 0] + 0.05 * rng.normal(size=200)
    y_dirty = y.copy()
    y_dirty[:20] += 30  # 10% gross outliers
    grid = np.linspace(-1, 1, 50).reshape(-1, 1)
    errors = {}
    for loss in ("squared_error", "huber", "absolute_error"):
        reg = MLPRegressor(
            loss=loss,
            hidden_layer_sizes=(),
            solver="adam",
            learning_rate_init=0.05,
            max_iter=300,
            random_state=0,
        ).fit(X, y_dirty)
        errors[loss] = np.abs(reg.predict(grid) - 3 * grid[:, 0]).max()
    assert errors["huber"] < errors["squared_error"] / 3
    assert errors["absolute_error"] < errors["squared_error"] / 3


# ------------------------------------------------- early stopping on your terms
def test_explicit_validation_set_scoring_and_best_weights(digits):
    X, y = _head(digits, 900)
    X_val, y_val = X[600:], y[600:]
    sw_val = np.where(y_val < 5, 2.0, 1.0)
    calls = []

    def scorer(est, X_, y_, sample_weight=None):
        calls.append(X_.shape)
        return f1_score(y_, est.predict(X_), average="macro", sample_weight=sample_weight)

    clf = MLPClassifier(
        (32,), early_stopping=True, scoring=scorer, max_iter=40, n_iter_no_change=3, random_state=0
    ).fit(X[:600], y[:600], X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
    assert set(calls) == {X_val.shape}
    # The best epoch's weights were restored: the stored best score is the model's score.
    assert clf.best_validation_score_ == pytest.approx(
        f1_score(y_val, clf.predict(X_val), average="macro", sample_weight=sw_val)
    )
    best = int(np.argmax(clf.validation_scores_))
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == clf.n_iter_
    assert clf.validation_loss_curve_[best] == pytest.approx(
        log_loss(y_val, clf.predict_proba(X_val), sample_weight=sw_val, labels=clf.classes_),
        rel=1e-6,
    )


def test_scoring_by_name_and_default_accuracy_use_sample_weight_val(digits):
    X, y = _head(digits, 900)
    sw_val = np.linspace(0.1, 2, 300)
    for scoring, metric in [(None, accuracy_score), ("accuracy", accuracy_score)]:
        clf = MLPClassifier(
            (16,), early_stopping=True, scoring=scoring, max_iter=15, random_state=0
        ).fit(X[:600], y[:600], X_val=X[600:], y_val=y[600:], sample_weight_val=sw_val)
        assert clf.best_validation_score_ == pytest.approx(
            metric(y[600:], clf.predict(X[600:]), sample_weight=sw_val)
        )

@pytest.mark.parametrize("weights", ["sample_weight", "class_weight"])
def test_a_scorer_without_sample_weight_scores_weighted_rows_unweighted(digits, weights):
    # The docs' signature scorer(estimator, X, y): the validation rows' weights (from
    # fit's sample_weight or from class_weight) used to reach it as sample_weight=...
    # and fail the fit with a TypeError.
    X, y = _head(digits, 600)
    seen = {}

    def plain(est, X_, y_):
        seen.setdefault("plain", []).append(y_.shape)
        return balanced_accuracy_score(y_, est.predict(X_))

    def weighted(est, X_, y_, sample_weight=None):
        seen.setdefault("weighted", []).append(sample_weight is not None)
        return balanced_accuracy_score(y_, est.predict(X_))

    params = dict(hidden_layer_sizes=(16,), early_stopping=True, max_iter=6, random_state=0)
    fit_params = {}
    if weights == "class_weight":
        params["class_weight"] = "balanced"
    else:
        fit_params["sample_weight"] = np.linspace(0.5, 2.0, y.shape[0])
    a = MLPClassifier(scoring=plain, **params).fit(X, y, **fit_params)
    b = MLPClassifier(scoring=weighted, **params).fit(X, y, **fit_params)
    assert seen["weighted"] == [True] * b.n_iter_  # weights still reach a scorer taking them
    assert len(seen["plain"]) == a.n_iter_
    assert a.validation_scores_ == b.validation_scores_
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])



def test_a_scorer_that_fails_fails_the_fit_and_keeps_the_model(digits):
    # A scorer's own ValueError (roc_auc needs multi_class for ten classes; a user's
    # bug) is an error of the fit, as in scikit-learn's HistGradientBoosting: before,
    # every epoch scored NaN, training never stopped and the untrained start was
    # "restored" as the best epoch.
    X, y = _head(digits, 400)
    clf = MLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    before = pickle.dumps(clf)

    def buggy(est, X_, y_):
        raise ValueError("the scorer's own bug")

    for scoring, message in [("roc_auc", "multi_class"), (buggy, "the scorer's own bug")]:
        clf.set_params(early_stopping=True, scoring=scoring)
        with pytest.raises(ValueError, match=message):
            clf.fit(X, y)
        clf.set_params(early_stopping=False, scoring=None)
        assert pickle.dumps(clf) == before


def test_no_finite_validation_score_keeps_the_start_and_says_so():
    # A scorer that is NaN every epoch: no epoch beats the start, whose weights are kept
    # (scikit-learn's rule, silent there). Oracle: scikit-learn's Glorot draw, written
    # out (uniform in +-sqrt(6 / (fan_in + fan_out)), weights then intercepts per layer).
    X, y = make_regression(60, 3, random_state=0)
    params = dict(hidden_layer_sizes=(4,), max_iter=6, early_stopping=True, random_state=0)
    with pytest.warns(UserWarning, match="Every validation score was NaN"):
        ours = MLPRegressor(**params, scoring=lambda est, X, y: np.nan).fit(X, y)
    assert np.isnan(ours.validation_scores_).all()
    rng = np.random.RandomState(0)
    for fan_in, fan_out, W, b in zip([3, 4], [4, 1], ours.coefs_, ours.intercepts_,
                                     strict=True):
        bound = np.sqrt(6 / (fan_in + fan_out))
        np.testing.assert_array_equal(W, rng.uniform(-bound, bound, (fan_in, fan_out)))
        np.testing.assert_array_equal(b, rng.uniform(-bound, bound, fan_out))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a scored fit says nothing
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPRegressor(**params).fit(X, y)


def test_a_scorer_on_a_diverged_epoch_rolls_it_back():
    # The probe of a diverged epoch refuses to predict (ValueError): that is the
    # divergence, not the scorer's error; the best finite epoch is kept.
    X, y, params = quadratic_divergence(3e-6)
    reg = MLPRegressor(early_stopping=True, scoring="r2", **params)
    with pytest.warns(ConvergenceWarning, match="diverged"), \
            np.errstate(over="ignore", invalid="ignore"):  # the diverging products
        reg.fit(X, y)
    assert np.isfinite(reg.validation_scores_).all()
    assert all(np.isfinite(c).all() for c in reg.coefs_)


def test_validation_set_errors(digits):
    X, y = _head(digits, 200)
    with pytest.raises(ValueError, match="early_stopping=True"):
        MLPClassifier().fit(X, y, X_val=X, y_val=y)
    with pytest.raises(ValueError, match="together"):
        MLPClassifier(early_stopping=True).fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="not in classes_"):
        MLPClassifier(early_stopping=True, max_iter=2).fit(X[y < 5], y[y < 5], X_val=X, y_val=y)
    # L-BFGS has no early stopping, with early_stopping=True or not: refused, not ignored.
    for early_stopping in (True, False):
        with pytest.raises(ValueError, match="solver='lbfgs' does not do"):
            MLPClassifier(solver="lbfgs", early_stopping=early_stopping).fit(
                X, y, X_val=X, y_val=y)


@pytest.mark.parametrize("bad, argument", [
    (dict(X_val=lambda X: X[:, :10]), "X_val: X has 10 features"),
    (dict(X_val=lambda X: np.full(X.shape, np.nan)), "X_val: Input X contains NaN"),
    (dict(sample_weight_val=lambda X: np.ones(3)), r"sample_weight_val: sample_weight.shape"),
    (dict(sample_weight_val=lambda X: -np.ones(len(X))), "sample_weight_val: Negative"),
])
def test_validation_set_errors_name_the_validation_argument(digits, bad, argument):
    # The checks are those of X and sample_weight; the message says which argument
    # failed them, and the fitted model is left as it was.
    X, y = _head(digits, 200)
    model = MLPClassifier((8,), early_stopping=True, max_iter=2, warm_start=True,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    before = pickle.dumps(model)
    given = dict(X_val=X[150:], y_val=y[150:], sample_weight_val=None)
    given.update({name: make(X[150:]) for name, make in bad.items()})
    with pytest.raises(ValueError, match=argument):
        model.fit(X, y, **given)
    assert pickle.dumps(model) == before


@pytest.mark.parametrize("case", ["binary-2d", "multiclass-2d", "multiclass-nan",
                                  "strings-nan", "strings-none", "multilabel-2",
                                  "regressor-nan", "regressor-3d"])
def test_bad_y_val_is_refused_by_name_and_keeps_the_model(case):
    # Each malformed y_val gets a ValueError that names y_val (not a numpy broadcast or
    # index error), and the fitted model is left as it was.
    from sklearn.datasets import make_multilabel_classification

    kind, problem = case.split("-")
    X, y = make_classification(80, 5, n_informative=3, n_classes=3, random_state=0)
    Estimator = MLPRegressor if kind == "regressor" else MLPClassifier
    if kind == "binary":
        y = (y > 0).astype(int)
    elif kind == "multilabel":
        X, y = make_multilabel_classification(80, 5, n_classes=3, random_state=0)
    elif kind == "regressor":
        y = X @ np.arange(5.0)
    elif kind == "strings":  # object labels: a missing value cannot be sorted with them
        y = np.array(["a", "b", "c"], dtype=object)[y]
    missing = {"nan": np.nan, "none": None}.get(problem)
    y_val = {"2d": lambda v: np.stack([v, v], axis=1),
             "nan": lambda v: np.where(np.arange(len(v)) == 3, missing, v),
             "none": lambda v: np.where(np.arange(len(v)) == 3, missing, v),
             "2": lambda v: 2 * v,
             "3d": lambda v: v.reshape(len(v), 1, 1)}[problem](
                 y[60:] if kind == "strings" else y[60:].astype(float))
    model = Estimator(hidden_layer_sizes=(4,), max_iter=2, early_stopping=True,
                      warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    before = pickle.dumps(model)
    with pytest.raises(ValueError, match="y_val"):
        model.fit(X[:60], y[:60], X_val=X[60:], y_val=y_val)
    assert pickle.dumps(model) == before


def test_a_fortran_ordered_y_val_scores_as_a_c_ordered_one():
    # R^2 of two outputs sums in memory order: a DataFrame's (Fortran-ordered) y_val
    # scored 1 ulp off the same values in C order. Oracle: the C-ordered fit.
    rng = np.random.RandomState(0)
    X, X_val = rng.randn(60, 4), rng.randn(15, 4)
    y, y_val = (np.c_[A @ [1, 2, 3, 4.0], -(A @ [1, 2, 3, 4.0])] for A in (X, X_val))
    params = dict(hidden_layer_sizes=(5,), early_stopping=True, max_iter=5, random_state=0,
                  n_iter_no_change=2)
    fits = [_quiet_fit(MLPRegressor(**params), X, y, X_val=X_val, y_val=v)
            for v in (y_val, np.asfortranarray(y_val))]
    assert fits[0].validation_scores_ == fits[1].validation_scores_


def _quiet_fit(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


def test_class_weight_enters_the_validation_score(digits):
    X, y = _head(digits, 600)
    w = {c: (5.0 if c == 0 else 1.0) for c in range(10)}
    clf = MLPClassifier(
        (16,), early_stopping=True, class_weight=w, max_iter=10, random_state=0
    ).fit(X[:400], y[:400], X_val=X[400:], y_val=y[400:])
    sw = np.array([w[c] for c in y[400:]])
    assert clf.best_validation_score_ == pytest.approx(
        accuracy_score(y[400:], clf.predict(X[400:]), sample_weight=sw)
    )


# ------------------------------------------------------------ raw scores
def test_decision_function_is_the_pre_link_output(iris):
    X, y = iris
    multi = MLPClassifier((8,), max_iter=50, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        softmax(multi.decision_function(X), axis=1), multi.predict_proba(X), rtol=1e-10
    )
    binary = MLPClassifier((8,), max_iter=50, random_state=0).fit(X[:100], y[:100])
    scores = binary.decision_function(X[:100])
    assert scores.shape == (100,)
    np.testing.assert_allclose(expit(scores), binary.predict_proba(X[:100])[:, 1], rtol=1e-10)
    np.testing.assert_array_equal(
        binary.classes_[(scores > 0).astype(int)], binary.predict(X[:100])
    )
