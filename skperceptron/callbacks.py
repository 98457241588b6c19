"""Optional callbacks for scikit-learn's callback API (experimental).

Import this module explicitly (``from skperceptron.callbacks import MLflowLogger``);
the package root never imports it, and :mod:`mlflow` is imported only when a logger is
created (install ``skperceptron[tracking]``: ``mlflow-skinny``, plus ``sqlalchemy``
and ``alembic`` for a sqlite store).
"""

import copy
import math
import platform
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from ._validation import convert_arrays, to_host

__all__ = ["MLflowLogger"]

_EPOCH_TASK = "epoch"
_CALLBACK_ATTRIBUTES = (
    "_skl_callbacks", "_skl_callbacks_to_teardown", "_callback_fit_ctx",
    "_parent_callback_ctx",
)


def _import_mlflow():
    try:
        import mlflow
    except ImportError as exc:
        raise ImportError(
            "MLflowLogger needs MLflow: pip install 'skperceptron[tracking]' "
            "(mlflow-skinny)."
        ) from exc
    return mlflow


def _versions():
    import numpy
    import scipy
    import sklearn

    import skperceptron

    return {
        "skperceptron_version": skperceptron.__version__,
        "sklearn_version": sklearn.__version__,
        "numpy_version": numpy.__version__,
        "scipy_version": scipy.__version__,
        "python_version": platform.python_version(),
    }


def _task_path(context):
    """``Estimator:task#id/...`` from the outermost task down to ``context``."""
    path = []
    while context is not None:
        path.append(f"{context.estimator_name}:{context.task_name}#{context.task_id}")
        context = context.parent
    return "/".join(reversed(path))


def _is_estimator_root(context):
    """The root task of an estimator's fit (merged into a meta-estimator's or not)."""
    return context.parent is None or context.source_estimator_name is not None


def _last(values):
    return values[-1] if values else None


class MLflowLogger:
    """Record each ``fit`` as an MLflow run, with one metric row per epoch (experimental).

    A scikit-learn callback (``sklearn.callback`` API, scikit-learn >= 1.9): set it with
    ``estimator.set_callbacks(MLflowLogger())``. Each fit of the estimator, and of each
    clone of it inside a pipeline or a search, becomes one run holding:

    - the parameters, ``estimator.get_params(deep=False)`` as strings;
    - per epoch (per L-BFGS iteration), with ``step`` the epoch number counted from 1:
      ``train_loss``, and with early stopping ``val_loss`` and ``val_score``;
    - the final metrics ``loss``, ``n_iter`` and ``best_validation_score`` or
      ``best_loss``;
    - tags: the package versions, ``random_state``, the estimator class and the task
      path (which candidate and fold of a search the fit was);
    - optionally the fitted model, saved with ``mlflow.sklearn`` under ``model``.

    Nesting. Inside ``with logger.parent_run():`` every run is nested under one new
    run, also in the worker processes of a search with ``n_jobs > 1`` (the parent's
    id and the tracking URI travel with the logger). Without it, a run is nested under
    the run active in the fitting thread (``with mlflow.start_run():``, which
    ``n_jobs=1`` sees but worker processes do not), or under ``parent_run_id``.
    A fit that fails ends its run with status ``FAILED``.

    Parameters
    ----------
    tracking_uri : str, default=None
        Where to record; None uses MLflow's current tracking URI.
    experiment_name : str, default=None
        Experiment of runs that have no parent run (created if needed); None uses the
        parent run's experiment, else MLflow's default experiment ("Default").
    run_name : str, default=None
        Name of every run; None lets MLflow pick one.
    parent_run_id : str, default=None
        Nest every run under this run; None nests under the active run, if any.
    log_model : bool, default=False
        Save the fitted model as the run's ``model`` artifact
        (``mlflow.sklearn.save_model``; load it back with
        ``mlflow.sklearn.load_model``).

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # a store in a directory
    >>> from mlflow import MlflowClient
    >>> from sklearn.datasets import load_iris
    >>> from skperceptron import MLPClassifier
    >>> from skperceptron.callbacks import MLflowLogger
    >>> store = "file://" + tempfile.mkdtemp()
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(max_iter=300, random_state=0)
    >>> clf = clf.set_callbacks(MLflowLogger(tracking_uri=store)).fit(X, y)
    >>> client = MlflowClient(store)
    >>> experiment = client.get_experiment_by_name("Default")
    >>> run = client.search_runs([experiment.experiment_id])[0]
    >>> history = client.get_metric_history(run.info.run_id, "train_loss")
    >>> len(history) == clf.n_iter_
    True
    >>> [m.value for m in sorted(history, key=lambda m: m.step)] == clf.loss_curve_
    True
    """

    def __init__(
        self,
        *,
        tracking_uri=None,
        experiment_name=None,
        run_name=None,
        parent_run_id=None,
        log_model=False,
    ):
        _import_mlflow()
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.run_name = run_name
        self.parent_run_id = parent_run_id
        self.log_model = log_model
        self._inherited = {}  # what the process that sent us had active
        self._runs = {}  # id(estimator) -> open run id, in this process
        self._block_parent = None  # the run of an open ``parent_run`` block

    @contextmanager
    def parent_run(self, run_name=None):
        """Nest the runs of the fits inside the block under one new run.

        Parameters
        ----------
        run_name : str, default=None
            Name of the parent run.

        Yields
        ------
        run_id : str
            The parent run's id.
        """
        client = self._client()
        run = client.create_run(
            self._experiment_id(client, None), run_name=run_name, tags=_versions()
        )
        self._block_parent = run.info.run_id
        status = "FAILED"
        try:
            yield run.info.run_id
            status = "FINISHED"
        finally:
            self._block_parent = None
            client.set_terminated(run.info.run_id, status=status)

    # -- pickling: take the sender's tracking context along to worker processes
    def __getstate__(self):
        mlflow = _import_mlflow()
        state = dict(self.__dict__, _runs={})
        if not self._inherited:
            active = mlflow.active_run()
            state["_inherited"] = {
                "tracking_uri": mlflow.get_tracking_uri(),
                "parent_run_id": None if active is None else active.info.run_id,
            }
        return state

    # -- the FitCallback protocol
    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        if _is_estimator_root(context):
            self._runs[id(estimator)] = self._start_run(estimator, context)

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        run_id = self._runs.get(id(estimator))
        if run_id is None:
            return False
        if _is_estimator_root(context):
            # The estimator itself is fitted once its root task ends.
            self._finish_run(run_id, estimator if fitted_estimator is None else fitted_estimator)
            del self._runs[id(estimator)]
        elif context.task_name == _EPOCH_TASK and fitted_estimator is not None:
            self._log_epoch(run_id, fitted_estimator)
        return False

    def teardown(self, estimator, context):
        run_id = self._runs.pop(id(estimator), None)
        if run_id is not None:  # the fit failed before its end
            self._client().set_terminated(run_id, status="FAILED")

    # -- runs
    def _client(self):
        mlflow = _import_mlflow()
        uri = self.tracking_uri or self._inherited.get("tracking_uri")
        return mlflow.MlflowClient(tracking_uri=uri)

    def _parent(self):
        if self.parent_run_id is not None:
            return self.parent_run_id
        if self._block_parent is not None:
            return self._block_parent
        active = _import_mlflow().active_run()
        if active is not None:
            return active.info.run_id
        return self._inherited.get("parent_run_id")

    def _experiment_id(self, client, parent):
        if parent is not None:
            return client.get_run(parent).info.experiment_id
        # MLflow's default experiment is called "Default"; a store made in an
        # existing empty directory does not have it yet.
        name = self.experiment_name or "Default"
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            return experiment.experiment_id
        return client.create_experiment(name)

    def _start_run(self, estimator, context):
        client = self._client()
        parent = self._parent()
        params = estimator.get_params(deep=False)
        tags = {
            "estimator": type(estimator).__name__,
            "task_path": _task_path(context),
            "random_state": str(params.get("random_state")),
            **_versions(),
        }
        if parent is not None:
            tags["mlflow.parentRunId"] = parent
        run = client.create_run(
            self._experiment_id(client, parent), run_name=self.run_name, tags=tags
        )
        run_id = run.info.run_id
        entities = _import_mlflow().entities
        client.log_batch(
            run_id, params=[entities.Param(k, str(v)) for k, v in params.items()]
        )
        return run_id

    def _log_metrics(self, run_id, values, step):
        entities = _import_mlflow().entities
        now = int(time.time() * 1000)
        metrics = [
            entities.Metric(key, float(value), now, step)
            for key, value in values.items()
            if value is not None and math.isfinite(value)
        ]
        if metrics:
            self._client().log_batch(run_id, metrics=metrics)

    def _log_epoch(self, run_id, model):
        curve = getattr(model, "loss_curve_", None)
        step = len(curve) if curve else model.n_iter_
        self._log_metrics(
            run_id,
            {
                "train_loss": getattr(model, "loss_", None),
                "val_loss": _last(getattr(model, "validation_loss_curve_", None)),
                "val_score": _last(getattr(model, "validation_scores_", None)),
            },
            step,
        )

    def _finish_run(self, run_id, model):
        final = {
            "loss": getattr(model, "loss_", None),
            "n_iter": getattr(model, "n_iter_", None),
            "best_validation_score": getattr(model, "best_validation_score_", None),
            "best_loss": getattr(model, "best_loss_", None),
        }
        self._log_metrics(run_id, final, step=0)
        if self.log_model:
            self._save_model(run_id, model)
        self._client().set_terminated(run_id, status="FINISHED")

    def _save_model(self, run_id, model):
        _import_mlflow()
        import mlflow.sklearn
        import sklearn

        import skperceptron

        # The saved model is the fitted estimator without the callbacks set on it
        # (nor scikit-learn's bookkeeping of the running fit).
        model = copy.copy(model)
        for name in _CALLBACK_ATTRIBUTES:
            model.__dict__.pop(name, None)
        # A model fitted on device arrays is saved as its numpy copy: the file then
        # loads anywhere (the fitted model itself stays on the device).
        model = convert_arrays(model, to_host)
        directory = Path(tempfile.mkdtemp())
        try:
            # Explicit requirements: MLflow's inference imports the model in a
            # subprocess, which costs seconds per run.
            mlflow.sklearn.save_model(
                model,
                directory / "model",
                # skops (MLflow's default format) loads only the trusted types: the
                # fitted state is plain data, the estimator class is all to trust.
                skops_trusted_types=[f"{type(model).__module__}.{type(model).__name__}"],
                pip_requirements=[
                    f"skperceptron=={skperceptron.__version__}",
                    f"scikit-learn=={sklearn.__version__}",
                ],
            )
            self._client().log_artifacts(run_id, str(directory / "model"), "model")
        finally:
            shutil.rmtree(directory, ignore_errors=True)
