"""MLflowLogger against a real MLflow file store on disk, read back with MlflowClient.

The oracle is the fitted estimator itself: every logged epoch metric must equal the
matching entry of ``loss_curve_`` / ``validation_scores_`` / ``validation_loss_curve_``,
the logged parameters must equal ``get_params()``.
"""

import os
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skperceptron
from skperceptron import MLPClassifier, MLPRegressor
from skperceptron.callbacks import MLflowLogger

pytest.importorskip("sklearn.callback")
mlflow = pytest.importorskip("mlflow")

X, Y = load_digits(n_class=3, return_X_y=True)
X, Y = X[:180] / 16.0, Y[:180]


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A file store in a temporary directory, current for this test only."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    yield mlflow.MlflowClient(tracking_uri=uri)
    mlflow.set_tracking_uri(previous)


def _runs(client):
    return client.search_runs(["0"], order_by=["attributes.start_time ASC"])


def _history(client, run_id, key):
    return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]


def _fit(est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, Y)


def test_a_run_per_fit_with_every_epoch(store):
    est = MLPClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, max_iter=6, n_iter_no_change=20,
        random_state=3,
    )
    _fit(est.set_callbacks(MLflowLogger()))
    (run,) = _runs(store)
    run_id = run.info.run_id
    epochs = range(1, est.n_iter_ + 1)
    assert _history(store, run_id, "train_loss") == list(zip(epochs, est.loss_curve_, strict=True))
    assert _history(store, run_id, "val_score") == list(
        zip(epochs, est.validation_scores_, strict=True)
    )
    assert _history(store, run_id, "val_loss") == list(
        zip(epochs, est.validation_loss_curve_, strict=True)
    )
    assert run.data.params == {k: str(v) for k, v in est.get_params(deep=False).items()}
    assert run.data.metrics["loss"] == est.loss_
    assert run.data.metrics["best_validation_score"] == est.best_validation_score_
    assert run.data.metrics["n_iter"] == est.n_iter_
    tags = run.data.tags
    assert tags["random_state"] == "3"
    assert tags["skperceptron_version"] == skperceptron.__version__
    assert tags["sklearn_version"] == sklearn.__version__
    assert tags["estimator"] == "MLPClassifier"
    assert run.info.status == "FINISHED"
    assert "mlflow.parentRunId" not in tags


def test_a_run_record_reproduces_the_model(store):
    # The recipe of docs/tracking.rst: logged parameters back to values, refit.
    import ast

    def value(text):
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text

    est = MLPClassifier(hidden_layer_sizes=(7, 5), alpha=0.01, max_iter=5, random_state=11)
    _fit(est.set_callbacks(MLflowLogger()))
    (run,) = _runs(store)
    params = {name: value(text) for name, text in run.data.params.items()}
    again = _fit(MLPClassifier(**params))
    assert again.get_params() == MLPClassifier(**est.get_params()).get_params()
    for a, b in zip(again.coefs_ + again.intercepts_, est.coefs_ + est.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_lbfgs_iterations_and_the_saved_model(store, tmp_path):
    est = MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=7, random_state=0)
    y = Y.astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_callbacks(MLflowLogger(log_model=True)).fit(X, y)
    (run,) = _runs(store)
    history = _history(store, run.info.run_id, "train_loss")
    assert [step for step, _ in history] == list(range(1, est.n_iter_ + 1))
    assert history[-1][1] == est.loss_  # the last iterate is the returned model
    local = store.download_artifacts(run.info.run_id, "model", str(tmp_path))
    loaded = mlflow.sklearn.load_model(local)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    assert not hasattr(loaded, "_skl_callbacks")


@pytest.mark.skipif(os.environ.get("SCIPY_ARRAY_API") != "1",
                    reason="Array API dispatch needs SCIPY_ARRAY_API=1")
def test_a_model_fitted_on_tensors_is_saved_as_numpy(store, tmp_path):
    torch = pytest.importorskip("torch")
    est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_callbacks(MLflowLogger(log_model=True)).fit(torch.asarray(X), torch.asarray(Y))
        expected = est.predict_proba(torch.asarray(X)).numpy()
    assert isinstance(est.coefs_[0], torch.Tensor)  # the fitted model stays on its device
    (run,) = _runs(store)
    assert run.info.status == "FINISHED"
    local = store.download_artifacts(run.info.run_id, "model", str(tmp_path))
    loaded = mlflow.sklearn.load_model(local)
    assert all(isinstance(c, np.ndarray) for c in loaded.coefs_ + loaded.intercepts_)
    # numpy's products against torch's: the same weights, round-off apart.
    np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=1e-12)


def test_a_failing_fit_ends_its_run_failed(store):
    bad = X.copy()
    bad[0, 0] = np.inf
    est = MLPClassifier(max_iter=3).set_callbacks(MLflowLogger())
    with pytest.raises(ValueError):
        est.fit(bad, Y)
    (run,) = _runs(store)
    assert run.info.status == "FAILED"


@pytest.mark.parametrize(
    "n_jobs, nesting", [(1, "active-run"), (1, "parent_run"), (2, "parent_run")]
)
def test_search_nests_one_run_per_candidate_and_fold(store, n_jobs, nesting):
    logger = MLflowLogger()
    mlp = MLPClassifier(hidden_layer_sizes=(6,), max_iter=4, random_state=0)
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("mlp", mlp.set_callbacks(logger))]),
        {"mlp__alpha": [1e-4, 1.0], "mlp__learning_rate_init": [1e-3, 1e-2]},
        cv=3,
        n_jobs=n_jobs,
        refit=False,
    )
    if n_jobs > 1:
        # Worker processes read MLFLOW_ALLOW_FILE_STORE when they start: start new ones
        # (joblib reuses those of earlier parallel calls).
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    if nesting == "active-run":
        with mlflow.start_run() as active:
            _fit(search)
        parent_id = active.info.run_id
    else:
        with logger.parent_run("search") as parent_id:
            _fit(search)
    runs = [r for r in _runs(store) if r.info.run_id != parent_id]
    assert len(runs) == 4 * 3
    assert {r.data.tags["mlflow.parentRunId"] for r in runs} == {parent_id}
    assert store.get_run(parent_id).info.status == "FINISHED"
    # One run per (candidate, fold): the candidate's parameters and a distinct task.
    candidates = {
        (r.data.params["alpha"], r.data.params["learning_rate_init"]) for r in runs
    }
    assert candidates == {
        (str(p["mlp__alpha"]), str(p["mlp__learning_rate_init"]))
        for p in search.cv_results_["params"]
    }
    assert len({r.data.tags["task_path"] for r in runs}) == 12
    for r in runs:
        assert r.info.status == "FINISHED"
        assert [s for s, _ in _history(store, r.info.run_id, "train_loss")] == [1, 2, 3, 4]


def test_mlflow_missing_gives_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_mlflow(name, *args, **kwargs):
        if name == "mlflow" or name.startswith("mlflow."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mlflow)
    with pytest.raises(ImportError, match=r"skperceptron\[tracking\]"):
        MLflowLogger()


def test_package_root_does_not_import_the_callbacks():
    import subprocess
    import sys

    code = (
        "import sys, skperceptron; "
        "print('skperceptron.callbacks' in sys.modules, 'mlflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True,
        cwd=os.path.dirname(os.path.dirname(skperceptron.__file__)),
    ).stdout.split()
    assert out == ["False", "False"]


def test_a_sqlite_store_works_with_the_tracking_extra(tmp_path):
    # The extra's sqlalchemy and alembic are what MLflow's SQL store needs.
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    est = MLPClassifier((8,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_callbacks(MLflowLogger(tracking_uri=uri)).fit(X, Y)
    (run,) = mlflow.MlflowClient(tracking_uri=uri).search_runs(["0"])
    assert run.info.status == "FINISHED"
    assert run.data.metrics["loss"] == pytest.approx(est.loss_)
