"""Hyperparameter search on real Dask clusters gives exactly the n_jobs=1 results.

Two clusters, both on the loopback interface only:

* a :class:`distributed.LocalCluster` of two single-threaded worker processes;
* a scheduler and two workers started as separate processes from the ``dask`` command
  line, which a :class:`distributed.Client` joins by address, as on a real cluster.

On each, ``GridSearchCV`` over a ``Pipeline`` of each estimator runs through
``joblib.parallel_config(backend="dask")``, and every ``cv_results_`` score must equal
the serial run's exactly. Each cluster must then stop and leave no process behind.

Skipped when the ``distributed`` extra is absent; ``make test`` installs it.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # a dependency of distributed

import joblib  # noqa: E402
from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
# Bounds on waiting for a cluster to come up or go away: a hang detector, not a timing
# requirement (the clusters start and stop in a few seconds on an idle machine).
START_TIMEOUT = 60
STOP_TIMEOUT = 20

X_CLF, Y_CLF = load_digits(n_class=4, return_X_y=True)
X_CLF, Y_CLF = X_CLF[:300], Y_CLF[:300]
X_REG, Y_REG = make_regression(n_samples=200, n_features=8, noise=5.0, random_state=0)

CASES = {
    "MLPClassifier": (
        MLPClassifier(solver="lbfgs", max_iter=30, random_state=0),
        {"est__hidden_layer_sizes": [(4,), (16,)], "est__alpha": [1e-4, 1.0]},
        X_CLF,
        Y_CLF,
    ),
    "MLPClassifier-adam": (
        MLPClassifier(solver="adam", max_iter=15, random_state=0),
        {"est__hidden_layer_sizes": [(8,)], "est__learning_rate_init": [1e-3, 1e-2]},
        X_CLF,
        Y_CLF,
    ),
    "MLPRegressor": (
        MLPRegressor(solver="lbfgs", max_iter=50, random_state=0),
        {"est__hidden_layer_sizes": [(4,), (16,)], "est__alpha": [1e-4, 1.0]},
        X_REG,
        Y_REG,
    ),
    "PerceptronClassifier": (
        PerceptronClassifier(random_state=0),
        {"est__average": [False, True], "est__alpha": [1e-4, 1e-2], "est__penalty": ["l2"]},
        X_CLF,
        Y_CLF,
    ),
}


def _search(name, **kwargs):
    estimator, grid, X, y = CASES[name]
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("est", estimator)]), grid, cv=3, **kwargs
    )
    return search.fit(X, y)


def _scores(search):
    results = search.cv_results_
    return {key: results[key] for key in sorted(results) if key.endswith("test_score")}


def _assert_same_scores(on_cluster, serial):
    expected, actual = _scores(serial), _scores(on_cluster)
    assert expected.keys() == actual.keys()
    for key in expected:
        # Exact equality: each fit depends only on its parameters, split and seed.
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)
    assert on_cluster.best_params_ == serial.best_params_


def _identity(client):
    """The scheduler's identity with its table of workers, fetched now.

    Not ``Client.scheduler_info()``: it returns the client's cache, which the client's
    periodic refresh overwrites with a table of no workers; a call that raced the
    refresh came back empty (distributed 2026.8.0, a failed CI run)."""
    return client.sync(client.scheduler.identity)


def _search_on(client, name):
    """The search through joblib's dask backend; checks that its fits ran on workers."""
    with distributed.get_task_stream(client=client) as tasks:
        with joblib.parallel_config(backend="dask"):
            search = _search(name)
    workers = set(_identity(client)["workers"])
    ran_on = {task["worker"] for task in tasks.data}
    assert tasks.data and ran_on <= workers, (len(tasks.data), ran_on, workers)
    return search


@pytest.fixture(scope="module")
def serial_searches():
    # The workers run one BLAS thread each; so does the reference run.
    with threadpool_limits(1):
        return {name: _search(name, n_jobs=1) for name in CASES}


def _descendants():
    """Child processes of this test process, except multiprocessing's resource tracker,
    a helper that the first process pool starts and that lives as long as the
    interpreter (so it is not a leak of any cluster)."""
    children = {}
    for process in psutil.Process().children(recursive=True):
        try:
            if "multiprocessing.resource_tracker" not in " ".join(process.cmdline()):
                children[process.pid] = process
        except psutil.NoSuchProcess:
            pass
    return children


def _wait_gone(processes, timeout):
    """Processes still alive after ``timeout`` seconds (zombies count as gone)."""
    deadline = time.monotonic() + timeout
    alive = list(processes)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _running(p)]
        if alive:
            time.sleep(0.1)
    return [p for p in alive if _running(p)]


def _running(process):
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _worker_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


# ------------------------------------------------------------------ LocalCluster
# The fixtures are class-scoped, so that each cluster stops before the next one starts.
@pytest.fixture(scope="class")
def local_client():
    before = set(_descendants())
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host=LOOPBACK,
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        client.wait_for_workers(2, timeout=START_TIMEOUT)
        started = {pid: p for pid, p in _descendants().items() if pid not in before}
        worker_pids = set(client.run(os.getpid).values())
        assert len(worker_pids) == 2 and worker_pids <= set(started), (worker_pids, started)
        yield client
    finally:
        client.close()
        cluster.close()
    leftover = _wait_gone(started.values(), STOP_TIMEOUT)
    for process in leftover:
        process.kill()
    assert not leftover, f"LocalCluster left processes behind: {leftover}"


class TestLocalCluster:
    @pytest.mark.parametrize("name", list(CASES))
    def test_search_matches_serial(self, name, local_client, serial_searches):
        workers = _identity(local_client)["workers"]
        assert len(workers) == 2
        assert all(w["host"] == LOOPBACK for w in workers.values())
        on_cluster = _search_on(local_client, name)
        _assert_same_scores(on_cluster, serial_searches[name])


# ------------------------------------------------- scheduler and workers from the CLI
def _dask_command():
    executable = Path(sys.executable).with_name("dask")
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "dask"]


def _stop_group(popen):
    """SIGTERM the process group of ``popen`` (started with its own session)."""
    try:
        os.killpg(popen.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def _kill_group(popen):
    try:
        os.killpg(popen.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _log_tails(logs):
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs if p.exists())


@pytest.fixture(scope="class")
def cli_client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dask-cli")
    scheduler_file = tmp / "scheduler.json"
    env = _worker_env()
    dask = _dask_command()
    popens, logs = [], []

    def start(args, log_name):
        log = tmp / log_name
        logs.append(log)
        with open(log, "wb") as out:
            popens.append(
                subprocess.Popen(
                    dask + args,
                    cwd=tmp,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, killed as a whole
                )
            )

    client = None
    tracked = {}
    try:
        start(
            [
                "scheduler",
                "--host", LOOPBACK,
                "--port", "0",
                "--dashboard-address", f"{LOOPBACK}:0",
                "--scheduler-file", str(scheduler_file),
                "--idle-timeout", "600",  # a scheduler orphaned by a killed test exits
            ],
            "scheduler.log",
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not scheduler_file.exists():
            assert popens[0].poll() is None, "scheduler exited:\n" + _log_tails(logs)
            assert time.monotonic() < deadline, "no scheduler file:\n" + _log_tails(logs)
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith(f"tcp://{LOOPBACK}:"), address

        for i in range(2):
            start(
                [
                    "worker",
                    "--scheduler-file", str(scheduler_file),
                    "--nthreads", "1",
                    "--host", LOOPBACK,
                    "--dashboard-address", f"{LOOPBACK}:0",
                    "--local-directory", str(tmp / f"worker-{i}"),
                    "--death-timeout", "60",  # a worker whose scheduler is gone exits
                ],
                f"worker-{i}.log",
            )

        client = distributed.Client(address, timeout=START_TIMEOUT)
        try:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
        except TimeoutError:
            pytest.fail("the 2 CLI workers did not join:\n" + _log_tails(logs))
        # Every process of the cluster, nannies' worker processes included.
        for popen in popens:
            root = psutil.Process(popen.pid)
            tracked[root.pid] = root
            tracked.update({p.pid: p for p in root.children(recursive=True)})
        yield client
    finally:
        if client is not None:
            client.close()
        for popen in popens[1:] + popens[:1]:  # workers first, then the scheduler
            _stop_group(popen)
        leftover = _wait_gone(tracked.values(), STOP_TIMEOUT)
        for popen in popens:
            _kill_group(popen)
            popen.wait(timeout=STOP_TIMEOUT)
    assert not leftover, f"processes still running after SIGTERM: {leftover}\n" + _log_tails(
        logs
    )
    assert not _wait_gone(tracked.values(), STOP_TIMEOUT)


class TestCommandLineCluster:
    @pytest.mark.parametrize("name", list(CASES))
    def test_search_matches_serial(self, name, cli_client, serial_searches):
        info = _identity(cli_client)
        assert info["address"].startswith(f"tcp://{LOOPBACK}:")
        assert len(info["workers"]) == 2
        assert all(w["host"] == LOOPBACK for w in info["workers"].values())
        on_cluster = _search_on(cli_client, name)
        _assert_same_scores(on_cluster, serial_searches[name])
