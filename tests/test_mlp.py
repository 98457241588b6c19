"""MLPClassifier / MLPRegressor through the public API, scikit-learn's MLP as oracle."""

import copy
import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import f1_score, make_scorer
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier, MLPRegressor, _base

SOLVERS = ["lbfgs", "sgd", "adam"]


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


def _scaled(loader, n=None):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return (X[:n], y[:n]) if n else (X, y)


def _split(X, y, seed=0):
    idx = np.random.RandomState(seed).permutation(len(X))
    cut = int(0.75 * len(X))
    return X[idx[:cut]], X[idx[cut:]], y[idx[:cut]], y[idx[cut:]]


# --------------------------------------------------------------- sklearn parity
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("loader", [load_iris, load_digits, load_breast_cancer])
def test_classifier_accuracy_matches_sklearn(loader, solver):
    X_train, X_test, y_train, y_test = _split(*_scaled(loader))
    params = dict(hidden_layer_sizes=(32,), solver=solver, max_iter=150, random_state=0)
    if solver == "sgd":
        params["learning_rate_init"] = 0.05
    ours = _quiet(lambda: MLPClassifier(**params).fit(X_train, y_train))
    ref = _quiet(lambda: SkMLPClassifier(**params).fit(X_train, y_train))
    assert ours.score(X_test, y_test) == pytest.approx(ref.score(X_test, y_test), abs=0.03)


@pytest.mark.parametrize("solver", SOLVERS)
def test_regressor_r2_matches_sklearn_on_diabetes(solver):
    X, y = _scaled(load_diabetes)
    y = (y - y.mean()) / y.std()
    X_train, X_test, y_train, y_test = _split(X, y)
    params = dict(hidden_layer_sizes=(16,), solver=solver, max_iter=300, alpha=1.0, random_state=0)
    if solver == "sgd":
        params["learning_rate_init"] = 0.01
    ours = _quiet(lambda: MLPRegressor(**params).fit(X_train, y_train))
    ref = _quiet(lambda: SkMLPRegressor(**params).fit(X_train, y_train))
    assert ours.score(X_test, y_test) == pytest.approx(ref.score(X_test, y_test), abs=0.05)


def test_lbfgs_starts_from_sklearns_initial_weights():
    # Same random_state -> same Glorot draw -> with max_iter=1 nearly the same weights.
    X, y = _scaled(load_iris)
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=1, random_state=3)
    ours = _quiet(lambda: MLPClassifier(**params).fit(X, y))
    ref = _quiet(lambda: SkMLPClassifier(**params).fit(X, y))
    for a, b in zip(ours.coefs_, ref.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_shared_random_state_advances_as_sklearns(solver):
    # One RandomState instance across two fits: the second fit starts where the first
    # left the stream. Neither L-BFGS nor unshuffled SGD draws anything but the initial
    # weights, in either library, so the second fit's weights agree too.
    from threadpoolctl import threadpool_limits

    X, y = make_classification(n_samples=80, n_features=6, random_state=2)
    params = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=4, shuffle=False)
    ours = MLPClassifier(random_state=np.random.RandomState(7), **params)
    ref = SkMLPClassifier(random_state=np.random.RandomState(7), **params)
    with threadpool_limits(1):
        for _ in range(2):
            _quiet(lambda: ours.fit(X, y))
            _quiet(lambda: ref.fit(X, y))
            for a, b in zip(ours.coefs_, ref.coefs_, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    assert ours.random_state.randint(1000) == ref.random_state.randint(1000)


def test_shuffle_seed_is_drawn_when_a_later_call_first_needs_it():
    # Fitted without shuffling (no seed drawn), then continued with shuffle or dropout:
    # the seed is drawn then, reproducibly, and the continued epochs do shuffle.
    X, y = make_classification(n_samples=80, n_features=6, random_state=2)

    def continued(**later):
        model = MLPClassifier((5,), batch_size=16, max_iter=1, shuffle=False, random_state=0)
        _quiet(lambda: model.fit(X, y))
        model.set_params(**later)
        for _ in range(2):
            model.partial_fit(X, y)
        return model

    unshuffled = continued()
    shuffled, again = continued(shuffle=True), continued(shuffle=True)
    assert isinstance(shuffled._shuffle_seed, int)
    np.testing.assert_array_equal(shuffled.coefs_[0], again.coefs_[0])
    assert not np.allclose(shuffled.coefs_[0], unshuffled.coefs_[0])
    dropped = continued(dropout=0.3)
    np.testing.assert_array_equal(dropped.coefs_[0], continued(dropout=0.3).coefs_[0])
    warm = MLPClassifier((5,), solver="lbfgs", max_iter=2, warm_start=True, random_state=0)
    _quiet(lambda: warm.fit(X, y))
    warm.set_params(solver="adam", max_iter=2)
    _quiet(lambda: warm.fit(X, y))
    assert warm.n_iter_ == 2 and isinstance(warm._shuffle_seed, int)


# ---------------------------------------------------------------- targets
def test_fitted_attributes_match_sklearn_names_and_shapes():
    X, y = _scaled(load_iris)
    for solver in SOLVERS:
        params = dict(hidden_layer_sizes=(6, 4), solver=solver, max_iter=5, random_state=0)
        ours = _quiet(lambda params=params: MLPClassifier(**params).fit(X, y))
        ref = _quiet(lambda params=params: SkMLPClassifier(**params).fit(X, y))
        public = lambda est: {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}
        # Every scikit-learn attribute exists; the only addition is documented.
        assert public(ours) - public(ref) <= {"validation_loss_curve_"}
        assert public(ref) <= public(ours)
        scalars = ("n_layers_", "n_outputs_", "out_activation_", "n_features_in_", "t_", "n_iter_")
        for name in scalars:
            assert getattr(ours, name) == getattr(ref, name), name
        assert [c.shape for c in ours.coefs_] == [c.shape for c in ref.coefs_]


def test_string_labels_and_binary_proba():
    X, y = _scaled(load_breast_cancer)
    labels = np.array(["benign", "malignant"])[y]
    clf = MLPClassifier((10,), solver="lbfgs", random_state=0, max_iter=300).fit(X, labels)
    assert set(clf.classes_) == {"benign", "malignant"}
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_multiclass_proba_rows_sum_to_one():
    X, y = _scaled(load_iris)
    clf = MLPClassifier((8,), solver="lbfgs", random_state=0, max_iter=300).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3) and clf.out_activation_ == "softmax"
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(proba.argmax(axis=1), clf.predict(X))


def test_multilabel_columns_are_independent():
    X, Y = make_multilabel_classification(n_samples=80, random_state=0)
    clf = MLPClassifier((30,), solver="lbfgs", random_state=0, max_iter=500).fit(X, Y)
    proba = clf.predict_proba(X)
    assert clf.out_activation_ == "logistic" and proba.shape == Y.shape
    assert not np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    assert clf.score(X, Y) > 0.9


def test_classifier_loss_attribute_is_sklearns():
    assert MLPClassifier().loss == SkMLPClassifier().loss
    assert "loss" not in MLPClassifier().get_params()


def test_sparse_label_indicator_fits_and_predicts_sparse_as_sklearn():
    X, Y = make_multilabel_classification(n_samples=60, n_features=5, n_classes=3,
                                          random_state=1)
    params = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=30, random_state=0)
    ours = _quiet(lambda: MLPClassifier(**params).fit(X, sp.csr_matrix(Y)))
    ref = _quiet(lambda: SkMLPClassifier(**params).fit(X, sp.csr_matrix(Y)))
    predicted, expected = ours.predict(X), ref.predict(X)
    assert sp.issparse(predicted) and predicted.format == "csr" and sp.issparse(expected)
    assert predicted.dtype == expected.dtype and predicted.shape == Y.shape
    np.testing.assert_array_equal(predicted.toarray(), expected.toarray())
    assert ours.score(X, sp.csr_matrix(Y)) == ref.score(X, sp.csr_matrix(Y))
    # A dense indicator matrix fitted: dense predictions.
    dense = _quiet(lambda: MLPClassifier(**params).fit(X, Y))
    assert isinstance(dense.predict(X), np.ndarray)
    np.testing.assert_array_equal(dense.predict(X), predicted.toarray())


def test_multioutput_regression_and_squared_error_summed_over_outputs():
    X, Y = make_regression(n_samples=120, n_features=6, n_targets=3, random_state=0)
    Y = Y / Y.std(axis=0)
    alpha = 0.01
    reg = MLPRegressor(
        hidden_layer_sizes=(20,), solver="lbfgs", alpha=alpha, max_iter=500, random_state=0
    ).fit(X, Y)
    assert reg.predict(X).shape == Y.shape and reg.score(X, Y) > 0.9
    # Closed form of the documented loss: half the squared error summed over outputs
    # and averaged over samples, plus alpha/2 ||W||^2 / n.
    residual = reg.predict(X) - Y
    l2 = sum((c**2).sum() for c in reg.coefs_)
    expected = 0.5 * np.mean((residual**2).sum(axis=1)) + 0.5 * alpha * l2 / len(X)
    assert reg.loss_ == pytest.approx(expected, rel=1e-8)


def test_poisson_without_hidden_nonlinearity_equals_glm():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 100)
    y = rng.poisson(np.exp(x + 1))
    X = x.reshape(-1, 1)
    glm = PoissonRegressor(alpha=0, tol=1e-8).fit(X, y)
    mlp = MLPRegressor(loss="poisson", hidden_layer_sizes=(1,), activation="identity",
                       alpha=0, solver="lbfgs", tol=1e-8, random_state=1).fit(X, y)
    np.testing.assert_allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)
    assert mlp.out_activation_ == "exp"


def test_zero_hidden_layers_is_linear_regression():
    X, y = make_regression(n_samples=100, n_features=3, noise=5, random_state=0)
    reg = MLPRegressor(
        hidden_layer_sizes=(), solver="lbfgs", alpha=0, tol=1e-12, max_iter=1000
    ).fit(X, y)
    A = np.hstack([X, np.ones((100, 1))])
    beta = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(reg.coefs_[0].ravel(), beta[:3], rtol=1e-5)
    np.testing.assert_allclose(reg.intercepts_[0], beta[3:], rtol=1e-5)
    assert reg.n_layers_ == 2


# ------------------------------------------------------------ sample weights
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_integer_sample_weight_equals_repetition_for_lbfgs(Estimator):
    X, y = _scaled(load_iris)
    if Estimator is MLPRegressor:
        y = X[:, 0] * 2 - X[:, 1]
        X = X[:, 1:]
    sw = np.random.RandomState(0).randint(0, 3, size=len(X))
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0, max_iter=50)
    weighted = _quiet(lambda: Estimator(**params).fit(X, y, sample_weight=sw))
    repeated = _quiet(lambda: Estimator(**params).fit(np.repeat(X, sw, 0), np.repeat(y, sw)))
    for a, b in zip(weighted.coefs_, repeated.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_sample_weight_in_partial_fit_changes_the_model():
    X, y = _scaled(load_iris)
    sw = np.where(y == 0, 10.0, 1.0)
    a = MLPClassifier((5,), solver="sgd", random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    b = MLPClassifier((5,), solver="sgd", random_state=0).partial_fit(X, y, sw, classes=[0, 1, 2])
    assert not np.allclose(a.coefs_[0], b.coefs_[0])


# --------------------------------------------------------------- dtypes, sparse
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_float32_trains_and_predicts_in_float32(Estimator, solver):
    X, y = _scaled(load_digits, 300)
    X32 = X.astype(np.float32)
    params = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=30, random_state=0)
    est = _quiet(lambda: Estimator(**params).fit(X32, y))
    assert all(c.dtype == np.float32 for c in est.coefs_ + est.intercepts_)
    if Estimator is MLPRegressor:
        assert est.predict(X32).dtype == np.float32
    else:
        assert est.predict_proba(X32).dtype == np.float32
    est64 = _quiet(lambda: Estimator(**params).fit(X, y))
    # Same quality as the float64 model (trajectories may drift apart numerically).
    assert est.score(X32, y) == pytest.approx(est64.score(X, y), abs=0.05)


@pytest.mark.parametrize("solver, how", [("sgd", "partial_fit"), ("adam", "partial_fit"),
                                         ("sgd", "warm_start"), ("adam", "warm_start"),
                                         ("lbfgs", "warm_start")])
@pytest.mark.parametrize("first", [np.float32, np.float64])
def test_a_continued_model_keeps_its_dtype(first, solver, how):
    # As scikit-learn's sgd/adam (which update their arrays in place): the data of
    # the other dtype is converted, not the model; the oracle converts it by hand.
    X, y = _scaled(load_digits, 200)
    other = np.float64 if first is np.float32 else np.float32
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=3, random_state=0,
                  warm_start=how == "warm_start")
    models = []
    for data in (X.astype(other), X.astype(other).astype(first)):
        est = _quiet(lambda: MLPClassifier(**params).fit(X.astype(first), y))
        _quiet(lambda est=est, data=data: est.partial_fit(data, y) if how == "partial_fit"
               else est.fit(data, y))
        models.append(est)
    kept, oracle = models
    state = [v for v in (kept._optimizer_state or {}).values() if isinstance(v, np.ndarray)]
    assert all(a.dtype == first for a in kept.coefs_ + kept.intercepts_ + state)
    for a, b in zip(kept.coefs_ + kept.intercepts_, oracle.coefs_ + oracle.intercepts_,
                    strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", SOLVERS)
def test_sparse_csr_predictions_equal_dense(solver):
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16
    params = dict(hidden_layer_sizes=(15,), solver=solver, max_iter=20, random_state=1)
    dense = _quiet(lambda: MLPClassifier(**params).fit(X, y[:300]))
    sparse = _quiet(lambda: MLPClassifier(**params).fit(sp.csr_matrix(X), y[:300]))
    np.testing.assert_allclose(
        dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(
        dense.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), rtol=1e-12
    )


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_dataframe_feature_names_with_early_stopping(Estimator):
    pd = pytest.importorskip("pandas")
    X, y = _scaled(load_iris)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = Estimator(hidden_layer_sizes=(5,), early_stopping=True, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(df, y)
        est.predict(df)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c", "d"])


# ------------------------------------------------------------ training control
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_partial_fit_does_not_exist_for_lbfgs(Estimator):
    assert not hasattr(Estimator(solver="lbfgs"), "partial_fit")
    assert hasattr(Estimator(solver="sgd"), "partial_fit")
    assert hasattr(Estimator(solver="adam"), "partial_fit")


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_k_partial_fits_equal_fit_with_max_iter_k(Estimator, solver):
    X, y = _scaled(load_iris)
    params = dict(hidden_layer_sizes=(7,), solver=solver, random_state=0, batch_size=32)
    fitted = _quiet(lambda: Estimator(max_iter=6, tol=0, **params).fit(X, y))
    inc = Estimator(**params)
    extra = {"classes": np.unique(y)} if Estimator is MLPClassifier else {}
    for _ in range(6):
        inc.partial_fit(X, y, **extra)
    for a, b in zip(fitted.coefs_ + fitted.intercepts_, inc.coefs_ + inc.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert inc.t_ == fitted.t_ == 6 * len(X)
    assert inc.loss_curve_ == fitted.loss_curve_


def test_partial_fit_classes_contract():
    X, y = [[1.0], [2.0], [3.0]], ["a", "b", "c"]
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier(solver="sgd").partial_fit(X, y)
    with pytest.raises(ValueError, match="not in `classes`"):
        MLPClassifier(solver="sgd").partial_fit(X, y, classes=["a", "b"])
    clf = MLPClassifier(solver="sgd", random_state=0)
    clf.partial_fit(X, y, classes=["a", "b", "c", "d"])
    clf.partial_fit([[4.0]], ["d"])  # a class announced but not seen before
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit([[5.0]], ["e"])
    with pytest.raises(ValueError, match="is not the same"):
        clf.partial_fit(X, y, classes=["a", "b", "c"])


def test_partial_fit_classes_of_a_multilabel_target_are_its_columns():
    # A multilabel target's classes are its column indices, and a later call must
    # repeat the first call's classes. scikit-learn's MLPClassifier refuses the first
    # three wrong sets too; a superset it accepts, reporting 4 classes for 3 columns.
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    Y = (X > 0).astype(int)
    for wrong in (["a", "b", "c"], [5], [0, 1], [0, 1, 2, 3]):
        with pytest.raises(ValueError, match="column indices"):
            MLPClassifier(solver="sgd").partial_fit(X, Y, classes=wrong)
        if len(wrong) <= 3:
            with pytest.raises(ValueError):
                SkMLPClassifier(solver="sgd").partial_fit(X, Y, classes=wrong)
    clf = MLPClassifier(solver="sgd", random_state=0).partial_fit(X, Y, classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    coefs = [c.copy() for c in clf.coefs_]
    with pytest.raises(ValueError, match="is not the same"):
        clf.partial_fit(X, Y, classes=[0, 1])
    for a, b in zip(clf.coefs_, coefs, strict=True):
        np.testing.assert_array_equal(a, b)
    clf.partial_fit(X, Y, classes=[2, 1, 0])  # the same classes, in any order
    clf.partial_fit(X, Y)


def test_partial_fit_refuses_early_stopping():
    X, y = _scaled(load_iris)
    clf = MLPClassifier((5,), early_stopping=True, max_iter=5, random_state=0)
    _quiet(lambda: clf.fit(X, y))
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        clf.partial_fit(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_partial_fit_continues_a_model_fitted_with_early_stopping(Estimator, solver):
    # The early-stopped fit kept its history on the validation score (best_loss_ None);
    # partial_fit watches the training loss. scikit-learn 1.9 raises a TypeError here.
    # Oracle: the same model with the history of a fit on the training loss that has no
    # best loss yet (inf) and no validation history, which is what the switch must mean.
    X, y = _scaled(load_iris)
    params = dict(hidden_layer_sizes=(5,), solver=solver, learning_rate="adaptive",
                  early_stopping=True, max_iter=4, random_state=0)
    fitted = _quiet(lambda: Estimator(**params).fit(X, y)).set_params(early_stopping=False)
    assert fitted.best_loss_ is None
    oracle = copy.deepcopy(fitted)
    oracle.best_loss_, oracle._no_improvement_count = np.inf, 0
    oracle.validation_scores_ = oracle.validation_loss_curve_ = None
    oracle.best_validation_score_ = None
    for model in (fitted, oracle):
        _quiet(lambda model=model: model.partial_fit(X, y))
    assert fitted.validation_scores_ is None and fitted.best_validation_score_ is None
    assert fitted.best_loss_ == fitted.loss_curve_[-1] == oracle.best_loss_
    assert len(fitted.loss_curve_) == len(oracle.loss_curve_) == 5
    for a, b in zip(fitted.coefs_ + fitted.intercepts_, oracle.coefs_ + oracle.intercepts_,
                    strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_that_switches_early_stopping_on_starts_its_validation_history(solver):
    # scikit-learn 1.9 fails with an AttributeError (its validation_scores_ is None).
    # Oracle: the same model given the empty validation history of a first fit.
    X, y = _scaled(load_iris)
    params = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=3, warm_start=True,
                  random_state=0)
    fitted = _quiet(lambda: MLPClassifier(**params).fit(X, y)).set_params(early_stopping=True)
    oracle = copy.deepcopy(fitted)
    oracle.validation_scores_, oracle.validation_loss_curve_ = [], []
    oracle.best_validation_score_, oracle.best_loss_ = -np.inf, None
    oracle._no_improvement_count = 0
    for model in (fitted, oracle):
        _quiet(lambda model=model: model.fit(X, y))
    assert len(fitted.validation_scores_) == 3 and len(fitted.loss_curve_) == 6
    assert vars(fitted).keys() == vars(oracle).keys()
    for name, value in vars(oracle).items():
        assert pickle.dumps(getattr(fitted, name)) == pickle.dumps(value), name



@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_with_early_stopping_keeps_an_earlier_best_epoch(solver):
    # A warm-started fit none of whose epochs beats the history's best validation score
    # returns the best epoch's weights, which the first fit reached: the oracle is that
    # first fit's model. (scikit-learn 1.9 returns the new fit's last epoch: its stored
    # best weights alias coefs_, which the new fit trains in place.)
    X = np.random.RandomState(0).normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    params = dict(hidden_layer_sizes=(), solver=solver, early_stopping=True,
                  warm_start=True, shuffle=False, learning_rate_init=0.1, random_state=0)
    model = _quiet(lambda: MLPClassifier(max_iter=30, **params).fit(X, y))
    first = copy.deepcopy(model)
    _quiet(lambda: model.set_params(max_iter=2).fit(X, y))
    new_scores = model.validation_scores_[len(first.validation_scores_):]
    assert new_scores and max(new_scores) <= first.best_validation_score_
    assert model.best_validation_score_ == first.best_validation_score_
    assert len(model.loss_curve_) > len(first.loss_curve_)  # the new fit did train
    for a, b in zip(model.coefs_ + model.intercepts_, first.coefs_ + first.intercepts_,
                    strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.predict_proba(X), first.predict_proba(X))


def _accuracy(estimator, X, y):
    return float(np.mean(estimator.predict(X) == y))


# A lambda beside the one below: alike in module and name, another scorer all the same.
_FIRST_SCORER = lambda estimator, X, y: _accuracy(estimator, X, y)  # noqa: E731


class _NegativeError:  # a callable scorer object with the default (address) repr
    def __call__(self, estimator, X, y):
        return -float(np.mean(estimator.predict(X) != y))


@pytest.mark.parametrize("scoring", [
    # All negative, where the first fit's accuracy is positive.
    "neg_log_loss", make_scorer(f1_score, average="macro", greater_is_better=False),
    lambda estimator, X, y: -_accuracy(estimator, X, y),  # another lambda than below
], ids=["name", "scorer", "lambda"])
def test_warm_start_with_another_scoring_starts_its_validation_history(scoring):
    # Scores of another scorer are on another scale (a first score of 0.9 would beat
    # every new one, and the second fit would restore the first's weights). Oracle: the
    # same model given the empty validation history of a first fit.
    X, y = _scaled(load_iris)
    params = dict(hidden_layer_sizes=(5,), max_iter=4, warm_start=True, random_state=0,
                  early_stopping=True, n_iter_no_change=2, scoring=_FIRST_SCORER)
    fitted = _quiet(lambda: MLPClassifier(**params).fit(X, y)).set_params(scoring=scoring)
    oracle = copy.deepcopy(fitted)
    oracle.validation_scores_, oracle.validation_loss_curve_ = [], []
    oracle.best_validation_score_, oracle._no_improvement_count = -np.inf, 0
    for model in (fitted, oracle):
        _quiet(lambda model=model: model.fit(X, y))
    assert all(score <= 0 for score in fitted.validation_scores_)  # the new scorer's only
    for name in ("coefs_", "validation_scores_", "best_validation_score_", "loss_curve_"):
        assert pickle.dumps(getattr(fitted, name)) == pickle.dumps(getattr(oracle, name)), name


@pytest.mark.parametrize("scoring", ["accuracy", _accuracy, _NegativeError(),
                                     make_scorer(f1_score, average="macro")],
                         ids=["name", "function", "object", "scorer"])
@pytest.mark.parametrize("copied", ["none", "pickle", "deepcopy", "joblib"])
def test_warm_start_with_the_same_scoring_continues_its_history(scoring, copied, tmp_path):
    # Oracle: the same two fits on one model without a copy between them.
    X, y = _scaled(load_iris)
    params = dict(hidden_layer_sizes=(5,), max_iter=3, warm_start=True, random_state=0,
                  early_stopping=True, n_iter_no_change=50, scoring=scoring)
    model = _quiet(lambda: MLPClassifier(**params).fit(X, y))
    copy_of = {"none": lambda m: m, "pickle": lambda m: pickle.loads(pickle.dumps(m)),
               "deepcopy": copy.deepcopy,
               "joblib": lambda m: (joblib.dump(m, tmp_path / "m.joblib"),
                                    joblib.load(tmp_path / "m.joblib"))[1]}[copied]
    again = copy_of(model)
    oracle = _quiet(lambda: MLPClassifier(**params).fit(X, y))
    for m in (again, oracle):
        _quiet(lambda m=m: m.fit(X, y))
    assert len(again.validation_scores_) == 6
    assert again.validation_scores_ == oracle.validation_scores_
    assert again.best_validation_score_ == oracle.best_validation_score_


def test_warm_start_continues_and_checks_classes():
    X, y = _scaled(load_iris)
    clf = MLPClassifier((5,), solver="lbfgs", warm_start=True, max_iter=5, random_state=0)
    _quiet(lambda: clf.fit(X, y))
    loss_first = clf.loss_
    _quiet(lambda: clf.fit(X, y))
    assert clf.loss_ < loss_first  # continued from where it stopped
    with pytest.raises(ValueError, match="warm_start can only be used"):
        clf.fit(X[:100], y[:100])


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_runs_max_iter_each_call(solver):
    X, y = _scaled(load_iris)
    clf = MLPClassifier(
        (5,), solver=solver, warm_start=True, max_iter=10, n_iter_no_change=np.inf, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 10
    clf.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 20


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_early_stopping_records_scores_and_keeps_best(Estimator):
    X, y = _scaled(load_digits, 600)
    X_val, y_val = X[400:], y[400:]
    params = dict(hidden_layer_sizes=(20,), solver="adam", learning_rate_init=0.01,
                  early_stopping=True, tol=0.0, n_iter_no_change=4, random_state=0)
    est = Estimator(max_iter=500, **params).fit(X[:400], y[:400], X_val=X_val, y_val=y_val)
    assert est.n_iter_ < 500
    assert est.best_loss_ is None
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_, rel=1e-12)
    # The weights kept are those after the best epoch (its first occurrence): a fit that
    # stops right there, the last epoch then being the best, ends with the same weights.
    best_epoch = int(np.argmax(est.validation_scores_)) + 1
    assert best_epoch < est.n_iter_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        short = Estimator(max_iter=best_epoch, **params).fit(
            X[:400], y[:400], X_val=X_val, y_val=y_val
        )
    for ours, reference in zip(est.coefs_ + est.intercepts_,
                               short.coefs_ + short.intercepts_, strict=True):
        np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("seed", [0, 1, 3])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_early_stopping_holds_out_sklearns_rows(kind, seed):
    # The same random_state draws the same initial weights and then the same split
    # (stratified only for a binary target, as in scikit-learn): with shuffle=False
    # nothing else is random, so the whole fit is scikit-learn's.
    from threadpoolctl import threadpool_limits

    X, y = make_classification(150, 6, n_informative=4, n_classes=2 if kind == "binary" else 3,
                               random_state=seed)
    if kind == "regression":
        y = X @ np.arange(6.0) / 10
    Ours, Theirs = ((MLPRegressor, SkMLPRegressor) if kind == "regression"
                    else (MLPClassifier, SkMLPClassifier))
    params = dict(hidden_layer_sizes=(8,), early_stopping=True, shuffle=False, max_iter=15,
                  learning_rate_init=0.01, random_state=seed)
    with threadpool_limits(1):
        ours = _quiet(lambda: Ours(**params).fit(X, y))
        ref = _quiet(lambda: Theirs(**params).fit(X, y))
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_allclose(ours.validation_scores_, ref.validation_scores_, rtol=1e-9)
    for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("schedule", ["adaptive", "constant"])
def test_verbose_output_is_sklearns(schedule, early_stopping, capsys):
    # Each epoch's line, the plateau messages ('Setting learning rate to', 'Learning
    # rate too small. Stopping.') and the final one: scikit-learn's, line for line.
    from threadpoolctl import threadpool_limits

    X, y = _scaled(load_iris)
    params = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate=schedule, tol=0.5,
                  n_iter_no_change=1, max_iter=40, early_stopping=early_stopping,
                  shuffle=False, verbose=True, random_state=0)
    printed = []
    for Estimator in (MLPClassifier, SkMLPClassifier):
        with threadpool_limits(1):
            _quiet(lambda: Estimator(**params).fit(X, y))  # noqa: B023
        printed.append(capsys.readouterr().out)
    assert "Stopping." in printed[1]
    assert ("Setting learning rate to" in printed[1]) == (schedule == "adaptive")
    assert printed[0] == printed[1]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_keeps_the_optimizer_settings_of_its_first_call(solver):
    # As scikit-learn, whose partial_fit keeps its optimizer object: parameters set
    # between calls do not reach the optimizer; a new fit takes them.
    from threadpoolctl import threadpool_limits

    X, y = _scaled(load_iris)
    changes = dict(learning_rate_init=0.5, momentum=0.1, beta_1=0.5, beta_2=0.9, epsilon=1e-3)
    models = []
    for Estimator in (MLPClassifier, SkMLPClassifier):
        est = Estimator(hidden_layer_sizes=(5,), solver=solver, shuffle=False, random_state=0)
        with threadpool_limits(1):
            est.partial_fit(X, y, classes=np.unique(y))
            est.set_params(**changes)
            est.partial_fit(X, y)
        models.append(est)
    ours, ref = models
    for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    assert ours._optimizer.learning_rate_init == ref._optimizer.learning_rate_init == 0.001
    # A fresh fit and a warm-started fit create the optimizer with the new settings.
    warm = _quiet(lambda: ours.set_params(warm_start=True, max_iter=1).fit(X, y))
    assert warm._optimizer.learning_rate_init == 0.5


@pytest.mark.parametrize("limit", [dict(max_iter=3), dict(max_iter=200, max_fun=5)])
def test_lbfgs_convergence_warning_is_sklearns(limit):
    X, y = _scaled(load_iris)
    messages = []
    for Estimator in (MLPClassifier, SkMLPClassifier):
        with pytest.warns(ConvergenceWarning) as caught:
            Estimator(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0, **limit).fit(X, y)
        messages.append([str(w.message) for w in caught])
    # The installed scikit-learn's words, whichever release it is.
    assert messages[0] == messages[1]
    assert len(messages[0]) == 1 and messages[0][0].startswith("lbfgs failed to converge")


def test_early_stopping_split_is_stratified():
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    with pytest.raises(ValueError, match="least populated class"):
        MLPClassifier(early_stopping=True).fit(X, [0, 0, 0, 1])


def test_early_stopping_validation_set_too_small():
    X, y = make_regression(n_samples=2, n_features=5, random_state=0)
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPRegressor(early_stopping=True).fit(X, y)


def test_tol_stops_training_and_inf_patience_disables_it():
    X, y = _scaled(load_breast_cancer, 200)
    stopped = MLPClassifier((5,), solver="sgd", tol=0.5, max_iter=1000, random_state=0).fit(X, y)
    assert stopped.n_iter_ < 1000
    full = MLPClassifier(
        (5,), solver="sgd", tol=1e9, n_iter_no_change=np.inf, max_iter=50, random_state=0
    )
    _quiet(lambda: full.fit(X, y))
    assert full.n_iter_ == 50


def test_adaptive_learning_rate_stops_when_rate_vanishes():
    # scikit-learn's own case, with its estimator as the oracle: 'adaptive' divides the
    # rate by 5 at each plateau and stops once it is under 1e-6 (67 epochs here, where
    # 'constant' stops at its first plateau, after 12).
    X, y = [[3, 2], [1, 6]], [1, 0]
    params = dict(tol=0.5, max_iter=3000, solver="sgd", learning_rate="adaptive",
                  random_state=0, shuffle=False)
    clf = MLPClassifier(**params).fit(X, y)
    reference = SkMLPClassifier(**params).fit(X, y)
    assert reference._optimizer.learning_rate <= 1e-6
    assert clf.n_iter_ == reference.n_iter_ < 3000
    constant = MLPClassifier(**{**params, "learning_rate": "constant"}).fit(X, y)
    assert constant.n_iter_ < clf.n_iter_


@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_prints_the_loss(solver, capsys):
    X, y = _scaled(load_iris)
    _quiet(lambda: MLPClassifier((3,), solver=solver, max_iter=3, verbose=True).fit(X, y))
    out = capsys.readouterr().out
    assert out.count("Iteration") >= 2 and "loss =" in out


def test_convergence_warnings():
    X, y = _scaled(load_iris)
    with pytest.warns(ConvergenceWarning):
        MLPClassifier((10,), solver="lbfgs", max_fun=10).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        MLPClassifier((10,), solver="adam", max_iter=2).fit(X, y)


def test_shuffle_changes_training_and_is_reproducible():
    X, y = make_regression(n_samples=50, n_features=5, random_state=0)

    def fit(shuffle):
        reg = MLPRegressor(
            hidden_layer_sizes=1, max_iter=1, batch_size=1, random_state=0, shuffle=shuffle
        )
        return _quiet(lambda: reg.fit(X, y)).coefs_[0]

    np.testing.assert_array_equal(fit(True), fit(True))
    np.testing.assert_array_equal(fit(False), fit(False))
    assert not np.array_equal(fit(True), fit(False))


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_a_fit_without_a_finite_evaluation_raises_without_saying_it_kept_weights(solver):
    # Targets of 1e200 overflow the very first loss. L-BFGS warned that it was
    # "keeping the best finite point it evaluated", then raised: no point was kept.
    rng = np.random.RandomState(0)
    X, y = rng.randn(100, 4), rng.randn(100) * 1e200
    reg = MLPRegressor(hidden_layer_sizes=(5,), solver=solver, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"), pytest.raises(ValueError, match="non-finite"):
            reg.fit(X, y)
    assert not [w for w in caught if "keeping" in str(w.message)], caught


def test_non_finite_weights_raise_and_fitted_model_survives():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="non-finite parameter weights"):
            MLPRegressor().fit(X, y)
    good = MLPRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    _quiet(lambda: good.fit(rng.normal(size=(10, 2)), y))
    before = good.predict(np.ones((2, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            good.fit(X, y)
    np.testing.assert_array_equal(good.predict(np.ones((2, 2))), before)


# ------------------------------------------------- regressions of fixed bugs
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_multioutput_squared_error_trains_as_sklearn(solver):
    from threadpoolctl import threadpool_limits

    X, Y = make_regression(n_samples=400, n_features=10, n_targets=4, noise=5, random_state=0)
    Y = Y / Y.std(axis=0)
    # shuffle=False: both libraries then draw only the initial weights, identically.
    params = dict(hidden_layer_sizes=(16,), solver=solver, max_iter=20, shuffle=False, tol=0,
                  n_iter_no_change=1000, learning_rate_init=0.01, random_state=0)
    with threadpool_limits(1):
        ours = _quiet(lambda: MLPRegressor(**params).fit(X, Y))
        ref = _quiet(lambda: SkMLPRegressor(**params).fit(X, Y))
    for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert ours.score(X, Y) == pytest.approx(ref.score(X, Y), abs=1e-10)
    # loss_ is the per-sample loss summed over the outputs: n_outputs times
    # scikit-learn's, which also averages over the outputs (compared without the
    # penalty, which neither library scales by the outputs).
    with threadpool_limits(1):
        ours = _quiet(lambda: MLPRegressor(**params, alpha=0.0).fit(X, Y))
        ref = _quiet(lambda: SkMLPRegressor(**params, alpha=0.0).fit(X, Y))
    np.testing.assert_allclose(ours.loss_curve_, Y.shape[1] * np.asarray(ref.loss_curve_),
                               rtol=1e-9)
    assert ours.loss_ == ours.loss_curve_[-1]


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("solver", SOLVERS)
def test_multioutput_regression_reaches_sklearns_r2(solver, shuffle):
    X, Y = make_regression(n_samples=600, n_features=20, n_targets=5, noise=10, random_state=1)
    Y = Y / Y.std(axis=0)
    X_train, X_test, Y_train, Y_test = _split(X, Y)
    params = dict(hidden_layer_sizes=(32,), solver=solver, max_iter=50, shuffle=shuffle,
                  learning_rate_init=0.01, random_state=0)
    ours = _quiet(lambda: MLPRegressor(**params).fit(X_train, Y_train))
    ref = _quiet(lambda: SkMLPRegressor(**params).fit(X_train, Y_train))
    assert ours.score(X_test, Y_test) == pytest.approx(ref.score(X_test, Y_test), abs=0.01)


def test_first_fit_with_an_explicit_validation_set():
    X, y = make_regression(n_samples=300, n_features=8, noise=1.0, random_state=0)
    y = y / y.std()
    X_train, X_val, y_train, y_val = _split(X, y)
    reg = MLPRegressor(hidden_layer_sizes=(10,), early_stopping=True, max_iter=30, random_state=0)
    _quiet(lambda: reg.fit(X_train, y_train, X_val=X_val, y_val=y_val))
    assert len(reg.validation_scores_) == reg.n_iter_
    # The best epoch's weights are restored: their R² on X_val is the best score.
    assert reg.score(X_val, y_val) == pytest.approx(reg.best_validation_score_, rel=1e-12)
    with pytest.raises(ValueError, match="y_val has 2 outputs"):
        MLPRegressor(early_stopping=True).fit(X_train, y_train, X_val=X_val,
                                               y_val=np.c_[y_val, y_val])


@pytest.mark.parametrize(
    "sizes", [(10.5,), 10.5, (True,), True, ("10",), "10", (10, None), (np.float64(4),)]
)
def test_hidden_layer_sizes_must_be_integers_and_a_failed_fit_keeps_the_model(sizes):
    X, y = _scaled(load_iris)
    clf = _quiet(lambda: MLPClassifier((4,), max_iter=5, random_state=0).fit(X, y))
    before = [c.copy() for c in clf.coefs_]
    with pytest.raises((ValueError, TypeError), match="hidden_layer_sizes"):
        clf.set_params(hidden_layer_sizes=sizes).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 4), (4, 3)]
    for a, b in zip(before, clf.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_integer_types_of_numpy_are_valid_layer_sizes():
    X, y = _scaled(load_iris)
    clf = _quiet(lambda: MLPClassifier(np.array([3, 2]), max_iter=2, random_state=0).fit(X, y))
    assert [c.shape for c in clf.coefs_] == [(4, 3), (3, 2), (2, 3)]


def test_lbfgs_interrupt_counts_iterations_done(monkeypatch):
    from skperceptron._network import Objective

    X, y = _scaled(load_iris)
    original = Objective.value_and_grad
    calls = {"n": 0, "stop": None}

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == calls["stop"]:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Objective, "value_and_grad", counting)
    # Oracle: evaluations that uninterrupted fits of k iterations make.
    needed = []
    for k in range(1, 9):
        calls["n"] = 0
        clf = MLPClassifier((5,), solver="lbfgs", max_iter=k, random_state=0)
        _quiet(lambda clf=clf: clf.fit(X, y))
        needed.append(calls["n"])
    calls["n"], calls["stop"] = 0, needed[5] + 1  # the first evaluation after iteration 6
    clf = MLPClassifier((5,), solver="lbfgs", max_iter=100, random_state=0)
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.n_iter_ == 6


# ------------------------------------------------------------------ hooks
class _StopAfter:
    """Training hooks asking to stop after epoch ``last`` (0-based)."""

    def __init__(self, last):
        self.last, self.ends = last, []

    def epoch_begin(self, epoch):
        pass

    def epoch_end(self, epoch, record):
        self.ends.append(record.total_epochs)
        return epoch == self.last


@pytest.mark.parametrize("solver, early_stopping", [
    ("lbfgs", False), ("sgd", False), ("sgd", True), ("adam", False), ("adam", True),
])
def test_training_hooks_stop_a_fit_cleanly(solver, early_stopping, monkeypatch):
    X, y = _scaled(load_iris)
    params = dict(hidden_layer_sizes=(5,), solver=solver, early_stopping=early_stopping,
                  tol=0, n_iter_no_change=100, random_state=0)
    reference = _quiet(lambda: MLPClassifier(max_iter=3, **params).fit(X, y))
    hooks = _StopAfter(last=2)
    # The seam where _callbacks hands the loop its hooks object.
    monkeypatch.setattr(_base, "run_fit", lambda est, fit, *args, **kwargs: fit(hooks))
    clf = MLPClassifier(max_iter=50, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a requested stop is no failure
        clf.fit(X, y)
    assert clf.n_iter_ == 3 and hooks.ends == [1, 2, 3]
    ours, ref = clf.coefs_ + clf.intercepts_, reference.coefs_ + reference.intercepts_
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(a, b)
