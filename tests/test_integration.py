"""The package inside scikit-learn workflows: Pipeline, GridSearchCV, joblib."""

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier, MLPRegressor


def test_grid_search_over_pipeline_in_parallel(digits):
    X, y = digits[0][:400] * 16, digits[1][:400]  # unscaled: the pipeline scales
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=60, random_state=0))
    grid = {
        "mlpclassifier__hidden_layer_sizes": [(16,), (32,)],
        "mlpclassifier__alpha": [1e-4, 1e-1],
        "mlpclassifier__solver": ["lbfgs", "adam"],
    }
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    serial = GridSearchCV(pipe, grid, cv=3, n_jobs=1).fit(X, y)
    assert search.best_score_ > 0.85
    assert len(search.cv_results_["params"]) == 8
    # Deterministic with random_state: worker processes give the serial scores.
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


def test_joblib_round_trip_then_partial_fit_continues_exactly(tmp_path, digits):
    X, y = digits[0][:300], digits[1][:300]
    clf = MLPClassifier((20,), max_iter=5, random_state=0).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(clf, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))

    # Training goes on after loading exactly as it would have without the round trip.
    loaded.partial_fit(X, y)
    clf.partial_fit(X, y)
    for a, b in zip(loaded.coefs_, clf.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_loaded_regressor_learns_a_new_target(tmp_path):
    reg = MLPRegressor(
        hidden_layer_sizes=(42,), random_state=42, learning_rate_init=0.01, max_iter=200
    )
    reg.fit([[2.0]], [4.0])
    joblib.dump(reg, tmp_path / "reg.pkl")
    loaded = joblib.load(tmp_path / "reg.pkl")
    for _ in range(200):
        loaded.partial_fit([[2.0]], [1.0])
    np.testing.assert_allclose(loaded.predict([[2.0]]), [1.0], rtol=1e-4)


def test_fitted_state_is_plain_data(digits):
    X, y = digits
    clf = MLPClassifier((8,), max_iter=3, random_state=0).fit(X[:100], y[:100])

    def plain(value):
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        return value is None or isinstance(value, (np.ndarray, np.generic, int, float, str, bool))

    assert all(plain(v) for v in vars(clf).values()), {k: type(v) for k, v in vars(clf).items()}
