"""scikit-learn callbacks (experimental, scikit-learn >= 1.9) on the three estimators.

The oracle for the model a callback sees at epoch k is ``fit(max_iter=k)``: the same
weights, bit for bit. Task counts come from a recording callback; ``ProgressBar`` and
``ScoringMonitor`` are scikit-learn's own.
"""

import ast
import copy
import pickle
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from test_architecture import imported_names
from test_safety import quadratic_divergence

import skperceptron
from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier

callback = pytest.importorskip("sklearn.callback")
pytest.importorskip("rich")  # ProgressBar
ProgressBar, ScoringMonitor = callback.ProgressBar, callback.ScoringMonitor

ROOT = Path(__file__).resolve().parents[1]
X_DIG, Y_DIG = load_digits(n_class=4, return_X_y=True)
X_DIG, Y_DIG = X_DIG[:240] / 16.0, Y_DIG[:240]
X_REG, Y_REG = make_regression(n_samples=120, n_features=6, noise=1.0, random_state=0)
Y_REG = Y_REG / Y_REG.std()


class Recorder:
    """Records every hook call, the epoch models, and optionally stops or fails.

    ``fail_at``: an epoch number, ``"fit"`` (the root task's end, after the last epoch)
    or ``"teardown"``."""

    def __init__(self, stop_at=None, fail_at=None):
        self.stop_at, self.fail_at = stop_at, fail_at
        self.events, self.models = [], []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")
        if self.fail_at == "teardown":
            raise RuntimeError("callback failed in teardown")

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.task_name))
        if context.task_name != "epoch":
            if self.fail_at == "fit":
                raise RuntimeError("callback failed at the end of fit")
            return False
        if fitted_estimator is not None:
            self.models.append(fitted_estimator)
        n_epochs = self.count(("end", "epoch"))
        if n_epochs == self.fail_at:
            raise RuntimeError("callback failed")
        return n_epochs == self.stop_at

    def count(self, event):
        return self.events.count(event)


def _fit_quietly(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _assert_same_weights(a, b):
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(ca, cb)


def _assert_same_fitted_state(model, reference):
    # Every attribute fit stores (public and private, the optimizer's state too), bit
    # for bit; the callbacks' own attributes and the parameters aside.
    fitted = {name for name in vars(reference)
              if (name.endswith("_") or name.startswith("_")) and "callback" not in name}
    assert fitted <= set(vars(model)), fitted - set(vars(model))
    for name in sorted(fitted):
        assert pickle.dumps(getattr(model, name)) == pickle.dumps(getattr(reference, name)), name


def _no_monitor_thread():
    return not [t for t in threading.enumerate() if type(t).__name__ == "RichProgressMonitor"]


MLP_CASES = {
    "adam": (MLPClassifier, {"solver": "adam"}, X_DIG, Y_DIG),
    "sgd-early-stopping": (
        MLPClassifier, {"solver": "sgd", "early_stopping": True, "n_iter_no_change": 50},
        X_DIG, Y_DIG,
    ),
    "lbfgs": (MLPClassifier, {"solver": "lbfgs"}, X_DIG, Y_DIG),
    "regressor-adam": (MLPRegressor, {"solver": "adam"}, X_REG, Y_REG),
    "regressor-lbfgs": (MLPRegressor, {"solver": "lbfgs"}, X_REG, Y_REG),
}


def _mlp(case, **params):
    cls, base, _, _ = MLP_CASES[case]
    return cls(hidden_layer_sizes=(8,), random_state=0, **{**base, **params})


def _names_sklearn_callback(node):
    """Whether an ``ast`` node imports scikit-learn's callback API, in any form."""
    return any(name.startswith("sklearn.callback") for name in imported_names(node))


def test_the_callback_import_detector_catches_each_form():
    for source in ("import sklearn.callback", "from sklearn.callback import X",
                   "from sklearn import callback", "from sklearn.callback._base import Y",
                   "importlib.import_module('sklearn.callback')"):
        assert any(map(_names_sklearn_callback, ast.walk(ast.parse(source)))), source
    for source in ("import sklearn", "from sklearn import clone", "print('callback')"):
        assert not any(map(_names_sklearn_callback, ast.walk(ast.parse(source)))), source


def test_only_callbacks_module_imports_sklearn_callback():
    importers = {
        path.stem
        for path in Path(skperceptron.__file__).parent.glob("*.py")
        if any(map(_names_sklearn_callback, ast.walk(ast.parse(path.read_text()))))
    }
    assert importers == {"_callbacks"}


@pytest.mark.parametrize("case", MLP_CASES)
def test_epoch_k_model_is_fit_with_max_iter_k(case):
    _, _, X, y = MLP_CASES[case]
    recorder = Recorder()
    est = _fit_quietly(_mlp(case, max_iter=4).set_callbacks(recorder), X, y)
    assert len(recorder.models) == est.n_iter_ == 4
    for k, model in enumerate(recorder.models, start=1):
        reference = _fit_quietly(_mlp(case, max_iter=k), X, y)
        _assert_same_fitted_state(model, reference)
        assert model.n_iter_ == reference.n_iter_ == k
        np.testing.assert_array_equal(model.predict(X), reference.predict(X))
        if "early" not in case and "lbfgs" not in case:
            # The optimizer's state is there: the epoch's model trains on as fit's.
            continued = copy.deepcopy(model).set_callbacks().partial_fit(X, y)
            _assert_same_weights(continued, _fit_quietly(_mlp(case, max_iter=k + 1), X, y))
    # Callbacks observe; they do not change training.
    _assert_same_weights(est, _fit_quietly(_mlp(case, max_iter=4), X, y))
    assert "_callback_fit_ctx" not in vars(est)


def test_a_diverged_epoch_ends_its_task_with_no_model():
    # SGD diverges in its third epoch, which is rolled back. Its task still ends, with
    # no model (the kept one is epoch 2's).
    X, y, params = quadratic_divergence(1.5e-6)
    recorder = Recorder()
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 3"), \
            np.errstate(over="ignore", invalid="ignore"):  # the diverging products
        est = MLPRegressor(max_iter=20, **params).set_callbacks(recorder).fit(X, y)
    assert recorder.count(("begin", "epoch")) == recorder.count(("end", "epoch")) == 3
    assert len(recorder.models) == est.n_iter_ == 2
    for k, model in enumerate(recorder.models, start=1):
        _assert_same_fitted_state(model, _fit_quietly(MLPRegressor(max_iter=k, **params), X, y))
    _assert_same_fitted_state(est, recorder.models[-1])


@pytest.mark.parametrize("case", MLP_CASES)
def test_one_task_per_epoch_and_teardown(case):
    _, _, X, y = MLP_CASES[case]
    recorder = Recorder()
    est = _fit_quietly(_mlp(case, max_iter=5).set_callbacks(recorder), X, y)
    assert recorder.events[:2] == ["setup", ("begin", "fit")]
    assert recorder.events[-2:] == [("end", "fit"), "teardown"]
    begun = recorder.count(("begin", "epoch"))
    assert begun == recorder.count(("end", "epoch"))
    # L-BFGS begins an iteration's task with its first evaluation: stopped by
    # max_iter, it begins no task it does not run.
    assert begun == est.n_iter_


@pytest.mark.parametrize("case", ["adam", "sgd-early-stopping"])
def test_warm_start_epoch_models_continue_the_first_fit(case):
    _, _, X, y = MLP_CASES[case]
    first = _fit_quietly(_mlp(case, max_iter=3, warm_start=True), X, y)
    recorder = Recorder()
    second = copy.deepcopy(first).set_params(max_iter=4).set_callbacks(recorder)
    _fit_quietly(second, X, y)
    assert len(recorder.models) == 4
    for k, model in enumerate(recorder.models, start=1):
        reference = _fit_quietly(copy.deepcopy(first).set_params(max_iter=k), X, y)
        _assert_same_fitted_state(model, reference)
        assert model.loss_curve_ == reference.loss_curve_
        if reference.validation_scores_ is not None:
            assert model.validation_scores_ == reference.validation_scores_
            assert model.best_validation_score_ == reference.best_validation_score_


def test_validation_score_and_loss_reach_callbacks():
    recorder = Recorder()
    est = _fit_quietly(
        _mlp("sgd-early-stopping", max_iter=6).set_callbacks(recorder), X_DIG, Y_DIG
    )
    seen = [(m.validation_scores_[-1], m.validation_loss_curve_[-1]) for m in recorder.models]
    assert seen == list(zip(est.validation_scores_, est.validation_loss_curve_, strict=True))
    assert recorder.models[-1].loss_curve_ == est.loss_curve_


@pytest.mark.parametrize("case", ["adam", "sgd-early-stopping", "lbfgs", "regressor-lbfgs"])
def test_stop_request_keeps_that_epoch(case):
    _, _, X, y = MLP_CASES[case]
    recorder = Recorder(stop_at=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # no max_iter warning
        est = _mlp(case, max_iter=50).set_callbacks(recorder).fit(X, y)
    assert est.n_iter_ == 3
    _assert_same_weights(est, _fit_quietly(_mlp(case, max_iter=3), X, y))


def test_scoring_monitor_one_row_per_epoch_equal_to_refits():
    monitor = ScoringMonitor(scoring="accuracy")
    _fit_quietly(_mlp("adam", max_iter=4).set_callbacks(monitor), X_DIG, Y_DIG)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    expected = [
        _fit_quietly(_mlp("adam", max_iter=k), X_DIG, Y_DIG).score(X_DIG, Y_DIG)
        for k in range(1, 5)
    ]
    assert [r["accuracy"] for r in rows] == expected


def test_no_callbacks_no_hooks(monkeypatch):
    # Without callbacks the loops get hooks=None: building hooks would raise here.
    from skperceptron import _callbacks

    def refuse(*args, **kwargs):
        raise AssertionError("hooks built without callbacks")

    monkeypatch.setattr(_callbacks, "EpochHooks", refuse)
    for case in MLP_CASES:
        _fit_quietly(_mlp(case, max_iter=2), *MLP_CASES[case][2:])
    _fit_quietly(PerceptronClassifier(max_iter=3), X_DIG, Y_DIG)


def test_perceptron_epochs_and_stop():
    recorder = Recorder()
    est = PerceptronClassifier(shuffle=False, tol=None, max_iter=7).set_callbacks(recorder)
    est.fit(X_DIG, Y_DIG)
    assert recorder.count(("end", "epoch")) == est.n_iter_ == 7
    stopped = PerceptronClassifier(shuffle=False, tol=None, max_iter=50)
    stopped.set_callbacks(Recorder(stop_at=3)).fit(X_DIG, Y_DIG)
    reference = PerceptronClassifier(shuffle=False, tol=None, max_iter=3).fit(X_DIG, Y_DIG)
    assert stopped.n_iter_ == 3
    np.testing.assert_array_equal(stopped.coef_, reference.coef_)
    np.testing.assert_array_equal(stopped.intercept_, reference.intercept_)


@pytest.mark.parametrize("params", [{}, {"early_stopping": True, "average": True}])
def test_perceptron_callbacks_only_observe(params):
    # Default stopping rule and shuffles: the same model as without callbacks, one
    # epoch task per epoch run.
    plain = _fit_quietly(PerceptronClassifier(**params), X_DIG, Y_DIG)
    recorder = Recorder()
    watched = PerceptronClassifier(**params).set_callbacks(ProgressBar(), recorder)
    _fit_quietly(watched, X_DIG, Y_DIG)
    for name in ("coef_", "intercept_", "n_iter_", "t_", "temperature_"):
        np.testing.assert_array_equal(getattr(watched, name), getattr(plain, name))
    assert recorder.count(("begin", "epoch")) == recorder.count(("end", "epoch")) == plain.n_iter_
    assert recorder.count("setup") == recorder.count("teardown") == 1
    assert _no_monitor_thread()


@pytest.mark.parametrize(
    "make",
    [
        lambda: _mlp("adam", max_iter=3),
        lambda: _mlp("lbfgs", max_iter=3),
        lambda: PerceptronClassifier(max_iter=3),
    ],
    ids=["adam", "lbfgs", "perceptron"],
)
@pytest.mark.parametrize("failure", ["bad-input", "callback", "fit-end", "teardown"])
def test_failure_tears_callbacks_down_and_keeps_the_model(make, failure):
    # A callback failing after the last epoch (the root task's end, teardown) fails
    # the call as well: the previous model is kept, not the one just trained.
    est = _fit_quietly(make(), X_DIG, Y_DIG)
    # Serialised, so that an array changed in place by the failed fit cannot compare
    # equal to itself; lists of arrays (``coefs_``) are covered too.
    before = {k: pickle.dumps(v) for k, v in vars(est).items()}
    reference = est.decision_function(X_DIG)
    fail_at = {"bad-input": None, "callback": 2, "fit-end": "fit", "teardown": "teardown"}
    recorder = Recorder(fail_at=fail_at[failure])
    est.set_callbacks(ProgressBar(), recorder)
    X = X_DIG[::-1].copy()  # rows in another order: a fit that went through differs
    if failure == "bad-input":
        X[0, 0] = np.nan
    with pytest.raises((ValueError, RuntimeError)):
        _fit_quietly(est, X, Y_DIG)
    assert recorder.count("setup") == recorder.count("teardown") == 1
    assert _no_monitor_thread()
    assert "_callback_fit_ctx" not in vars(est)
    assert "_skl_callbacks_to_teardown" not in vars(est)
    assert vars(est).keys() - before.keys() == {"_skl_callbacks"}
    for name, value in before.items():
        assert pickle.dumps(getattr(est, name)) == value, name
    np.testing.assert_array_equal(est.decision_function(X_DIG), reference)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_an_interrupt_before_the_first_epoch_ends_no_task(solver, monkeypatch):
    # Nothing was learned: the callbacks are torn down without the root task's end (a
    # logger records a failed fit, not a finished one), and the model stays as it was.
    from skperceptron._network import Objective

    est = _fit_quietly(_mlp(solver, max_iter=3), X_DIG, Y_DIG)
    before = {k: pickle.dumps(v) for k, v in vars(est).items()}

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Objective, "value_and_grad", interrupted)
    monkeypatch.setattr(Objective, "value_and_data_grad", interrupted)
    recorder = Recorder()
    est.set_callbacks(recorder)
    with pytest.warns(UserWarning, match="before the first epoch completed"):
        assert est.fit(X_DIG, Y_DIG) is est
    assert recorder.count("setup") == recorder.count("teardown") == 1
    assert ("end", "fit") not in recorder.events
    assert recorder.count(("end", "epoch")) == 0
    for name, value in before.items():
        assert pickle.dumps(getattr(est, name)) == value, name


def test_interpreter_exits_after_a_failing_fit_with_progress_bar():
    code = (
        "import numpy as np\n"
        "from sklearn.callback import ProgressBar\n"
        "from skperceptron import MLPClassifier\n"
        "X = np.ones((20, 3)); X[0, 0] = np.nan\n"
        "try:\n"
        "    MLPClassifier(max_iter=2).set_callbacks(ProgressBar()).fit(X, [0, 1] * 10)\n"
        "except ValueError:\n"
        "    print('raised')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "raised" in done.stdout


def _search_with_callbacks(n_jobs):
    monitor = ScoringMonitor(scoring="accuracy")
    mlp = MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, random_state=0, n_iter_no_change=100
    ).set_callbacks(monitor)
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("mlp", mlp)]),
        {"mlp__alpha": [1e-4, 1e-1]},
        cv=2,
        n_jobs=n_jobs,
    ).set_callbacks(ProgressBar(max_propagation_depth=None))
    _fit_quietly(search, X_DIG, Y_DIG)
    return search, monitor


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_nested_search_with_progress_bar_and_scoring_monitor(n_jobs):
    search, monitor = _search_with_callbacks(n_jobs)
    assert _no_monitor_thread()
    rows = monitor.get_logs().data
    epochs = [r for r in rows if r["task_name"] == "epoch"]
    # 2 candidates x 2 folds + the refit, 3 epochs each, all in the search's run.
    assert len(epochs) == 5 * 3
    assert len({r["parent_task_id_path"] for r in epochs}) == 5
    assert all(r["estimator_name"] == "MLPClassifier" for r in epochs)
    # The root's subtasks are the search (#0) and the refit (#1); the refit's last
    # epoch is the refitted model, scored on what the MLP was fitted on.
    refit = [r for r in epochs if r["task_id_path"][1] == 1]
    assert [r["task_id"] for r in refit] == [0, 1, 2]
    best = search.best_estimator_
    X_scaled = best[:-1].transform(X_DIG)
    assert refit[-1]["accuracy"] == best[-1].score(X_scaled, Y_DIG)
    if n_jobs > 1:
        # Scored in the workers that fitted each fold, sent back: the serial scores.
        _, serial = _search_with_callbacks(1)
        serial_rows = serial.get_logs().data
        assert sorted(r["accuracy"] for r in epochs) == sorted(
            r["accuracy"] for r in serial_rows if r["task_name"] == "epoch"
        )


def test_set_callbacks_needs_scikit_learn_1_9():
    code = (
        "import builtins\n"
        "real_import = builtins.__import__\n"
        "def old_sklearn(name, globals=None, *args, **kwargs):\n"
        "    # skperceptron sees no sklearn.callback, as on scikit-learn < 1.9\n"
        "    if name.startswith('sklearn.callback') and (globals or {}).get(\n"
        "            '__name__', '').startswith('skperceptron'):\n"
        "        raise ImportError(name)\n"
        "    return real_import(name, globals, *args, **kwargs)\n"
        "builtins.__import__ = old_sklearn\n"
        "import numpy as np\n"
        "from skperceptron import MLPClassifier, PerceptronClassifier\n"
        "X = np.random.default_rng(0).normal(size=(40, 3)); y = [0, 1] * 20\n"
        "for est in (MLPClassifier(max_iter=5), PerceptronClassifier()):\n"
        "    est.fit(X, y).predict(X)\n"
        "    try:\n"
        "        est.set_callbacks(object())\n"
        "    except ImportError as exc:\n"
        "        print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], check=False, capture_output=True,
        text=True,
        timeout=120, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert all("scikit-learn >= 1.9" in line for line in lines)


X_CSR = __import__("scipy.sparse", fromlist=["csr_matrix"]).csr_matrix(X_DIG)
PERCEPTRON_CASES = {
    "multiclass": ({"shuffle": False}, X_DIG, Y_DIG),
    "multiclass-shuffle": ({"random_state": 0}, X_DIG, Y_DIG),
    "binary-shuffle": ({"random_state": 1}, X_DIG, Y_DIG % 2),
    "binary-no-shuffle": ({"shuffle": False}, X_DIG, Y_DIG % 2),
    "average": ({"average": True, "random_state": 0}, X_DIG, Y_DIG),
    "average-int": ({"average": 300, "shuffle": False}, X_DIG, Y_DIG % 2),
    "csr": ({"random_state": 0, "penalty": "l1", "alpha": 1e-4}, X_CSR, Y_DIG),
    # An L2 shrink keeps the weights scaled lazily: the epoch's copy folds the scale.
    "l2-float32": ({"penalty": "l2", "alpha": 1e-3, "random_state": 0,
                    "class_weight": "balanced"}, X_DIG.astype(np.float32), Y_DIG),
    "csr-elasticnet": ({"penalty": "elasticnet", "alpha": 1e-3, "shuffle": False},
                       X_CSR, Y_DIG),
    "csr-average": ({"average": 100, "random_state": 0}, X_CSR, Y_DIG % 2),
    "early-stopping": ({"early_stopping": True, "random_state": 0, "tol": None},
                       X_DIG, Y_DIG),
    "early-stopping-stops": ({"early_stopping": True, "random_state": 0,
                              "n_iter_no_change": 2, "average": True}, X_DIG, Y_DIG),
}
PERCEPTRON_ATTRIBUTES = ("classes_", "coef_", "intercept_", "n_iter_", "t_", "temperature_",
                         "_standard_coef", "_standard_intercept", "_average_coef",
                         "_average_intercept", "_total_epochs", "_calibration_rows")


def _assert_same_perceptron(model, reference):
    for name in PERCEPTRON_ATTRIBUTES:
        a, b = getattr(model, name), getattr(reference, name)
        if a is None or b is None:
            assert a is b is None, name
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
            assert np.asarray(a).dtype == np.asarray(b).dtype, name
    np.testing.assert_array_equal(model.predict_proba(X_DIG), reference.predict_proba(X_DIG))


@pytest.mark.parametrize("case", PERCEPTRON_CASES)
def test_perceptron_epoch_k_model_is_fit_with_max_iter_k(case):
    params, X, y = PERCEPTRON_CASES[case]
    recorder = Recorder()
    est = _fit_quietly(PerceptronClassifier(max_iter=6, **params).set_callbacks(recorder), X, y)
    assert len(recorder.models) == est.n_iter_ == recorder.count(("end", "epoch"))
    assert est.n_iter_ >= 3
    for k, model in enumerate(recorder.models, start=1):
        reference = _fit_quietly(PerceptronClassifier(max_iter=k, **params), X, y)
        assert model.n_iter_ == reference.n_iter_ == k
        _assert_same_perceptron(model, reference)
    # The last epoch's model is the fitted one, and callbacks changed nothing.
    _assert_same_perceptron(recorder.models[-1], est)
    _assert_same_perceptron(est, _fit_quietly(PerceptronClassifier(max_iter=6, **params), X, y))


def test_perceptron_warm_start_epoch_models_continue_the_first_fit():
    first = _fit_quietly(PerceptronClassifier(max_iter=2, warm_start=True, random_state=0),
                         X_DIG, Y_DIG)
    recorder = Recorder()
    second = copy.deepcopy(first).set_params(max_iter=3).set_callbacks(recorder)
    _fit_quietly(second, X_DIG, Y_DIG)
    assert len(recorder.models) == 3
    for k, model in enumerate(recorder.models, start=1):
        reference = _fit_quietly(copy.deepcopy(first).set_params(max_iter=k), X_DIG, Y_DIG)
        _assert_same_perceptron(model, reference)


def test_perceptron_scoring_monitor_one_row_per_epoch_equal_to_refits():
    monitor = ScoringMonitor(scoring="neg_log_loss")
    params = {"random_state": 0, "tol": None}
    _fit_quietly(PerceptronClassifier(max_iter=4, **params).set_callbacks(monitor),
                 X_DIG, Y_DIG)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    expected = []
    for k in range(1, 5):
        refit = _fit_quietly(PerceptronClassifier(max_iter=k, **params), X_DIG, Y_DIG)
        expected.append(-_log_loss(Y_DIG, refit.predict_proba(X_DIG)))
    assert [r["neg_log_loss"] for r in rows] == pytest.approx(expected, rel=1e-12)
    assert len(set(expected)) == 4  # the epochs' models differ


def _log_loss(y, proba):
    # The textbook mean negative log-likelihood of the true class.
    return float(np.mean(-np.log(np.clip(proba[np.arange(y.shape[0]), y], 1e-15, None))))
