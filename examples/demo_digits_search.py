"""The main job of ``make demo``: tune an MLP on scikit-learn's bundled digits data.

A GridSearchCV over ``Pipeline(StandardScaler(), MLPClassifier())`` runs once with
skperceptron and once with scikit-learn on the same grid, folds and seeds; the table
shows the best parameters, held-out accuracy and search time of both. The best model is
then saved with joblib, reloaded and used to predict, as a production script would.
"""

import tempfile
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier

GRID = {
    "mlp__hidden_layer_sizes": [(32,), (64,)],
    "mlp__alpha": [1e-4, 1e-2],
    "mlp__solver": ["adam", "lbfgs"],
}


def search(Estimator, X_train, y_train):
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", Estimator(max_iter=100, random_state=0))])
    grid = GridSearchCV(pipe, GRID, cv=3, n_jobs=1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X_train, y_train)
    return grid, time.perf_counter() - start


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )

    rows = []
    libraries = [("skperceptron", MLPClassifier), ("scikit-learn", SklearnMLPClassifier)]
    for name, Estimator in libraries:
        grid, seconds = search(Estimator, X_train, y_train)
        best = {k.removeprefix("mlp__"): v for k, v in grid.best_params_.items()}
        rows.append((name, best, grid.score(X_test, y_test), seconds))
        if name == "skperceptron":
            ours = grid.best_estimator_

    print(
        "GridSearchCV over Pipeline(StandardScaler, MLPClassifier) on digits, %d fits each"
        % (3 * 8)
    )
    print()
    cells = [
        (name, str(best), "%.4f" % accuracy, "%.2f" % seconds)
        for name, best, accuracy, seconds in rows
    ]
    header = ("library", "best parameters", "held-out accuracy", "search time (s)")
    widths = [max(len(row[i]) for row in cells + [header]) for i in range(4)]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print(line(row))
    print()
    print("search time ratio skperceptron / scikit-learn: %.2f" % (rows[0][3] / rows[1][3]))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "best_model.joblib"
        joblib.dump(ours, path)
        loaded = joblib.load(path)
        predictions = loaded.predict(X_test)
        assert np.array_equal(predictions, ours.predict(X_test))
        print(
            "saved the best model (%d bytes), reloaded it: first predictions %s, accuracy %.4f"
            % (path.stat().st_size, predictions[:10].tolist(), np.mean(predictions == y_test))
        )


if __name__ == "__main__":
    main()
