"""An Adam epoch and predict through Array API dispatch (GPU) against one CPU thread.

In one run, on the same machine and the same data: ``MLPClassifier`` with
``hidden_layer_sizes=(256, 128)`` and ``solver="adam"`` on 60,000 x 784 float32 rows
(``make_classification``, 10 classes, standardised), fitted

* on numpy arrays with one BLAS/OpenMP thread (threadpoolctl): the CPU reference;
* on PyTorch tensors on ``--device`` (``cuda`` when available, else ``cpu``) with
  ``sklearn.config_context(array_api_dispatch=True)``;
* on CuPy arrays the same way, when CuPy imports and sees a GPU (CUDA devices only).

One epoch is one ``partial_fit`` call after a warm-up call (which pays for the
initialisation, the first kernel launches and cuBLAS's set-up), timed with the wall
clock, the device synchronised before and after; the contenders alternate inside
each repeat. Then ``predict`` on 1,000,000 rows (training rows drawn with
replacement) in rows per second. The table gives medians (min-max) and the speed-up
of each device over the CPU reference, against the targets: an epoch >= 10x faster
at batch 256 and >= 30x at batch 1024, predict >= 20x the rows per second.

    python benchmarks/gpu.py                       # a GPU machine: a few minutes
    python benchmarks/gpu.py --quick --device cpu  # smoke run on PyTorch CPU tensors

SciPy reads ``SCIPY_ARRAY_API`` when it is first imported, and scikit-learn refuses
``array_api_dispatch`` without it: the script sets it before importing anything else.
Requires scikit-learn >= 1.9 for the device columns (the numpy column runs anywhere).
The script always exits 0; whether the targets are met is in the table.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy is imported, see above

import argparse
import gc
import platform
import re
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skperceptron
from skperceptron import MLPClassifier

try:  # neither is a dependency: each only adds a column when present
    import torch
except ImportError:
    torch = None
try:
    import cupy
except ImportError:
    cupy = None

HIDDEN = (256, 128)
# Speed-up of the device over one CPU thread that issue #14 asks for.
TARGETS = {"epoch, batch 256": 10.0, "epoch, batch 1024": 30.0, "predict": 20.0}


@dataclass
class Sizes:
    n_train: int
    n_features: int
    n_predict: int
    batch_sizes: tuple
    repeats: int


FULL = Sizes(60_000, 784, 1_000_000, (256, 1024), 5)
QUICK = Sizes(3_000, 784, 20_000, (256, 1024), 3)


@dataclass
class Backend:
    """One array library on one device: how arrays get there and how to wait for it."""

    name: str
    to_device: Callable  # numpy array -> array of this backend
    to_host: Callable  # array of this backend -> numpy array
    sync: Callable = lambda: None
    dispatch: bool = True  # run under array_api_dispatch=True
    threads: int | None = None  # BLAS/OpenMP limit for the whole call
    models: dict = field(default_factory=dict)  # batch size -> warmed-up estimator


def numpy_backend():
    return Backend("numpy, 1 CPU thread", lambda a: a, np.asarray, dispatch=False, threads=1)


def torch_backend(device):
    device = torch.device(device)
    if device.type == "cuda":
        sync = lambda: torch.cuda.synchronize(device)
    elif device.type == "mps":
        sync = torch.mps.synchronize
    else:
        sync = lambda: None
    def to_host(t):
        return t.cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)

    return Backend(f"torch {device}", lambda a: torch.asarray(a, device=device), to_host, sync)


def cupy_backend():
    return Backend(
        "cupy", cupy.asarray, cupy.asnumpy, cupy.cuda.get_current_stream().synchronize
    )


def backends(device, notes):
    """The CPU reference first, then each device backend that can run here."""
    found = [numpy_backend()]
    if tuple(map(int, re.match(r"(\d+)\.(\d+)", sklearn.__version__).groups())) < (1, 9):
        notes.append(f"scikit-learn {sklearn.__version__}: Array API dispatch needs >= 1.9, "
                     "numpy column only")
        return found
    if torch is None:
        notes.append("PyTorch is not installed: no torch column")
    else:
        found.append(torch_backend(device))
    if cupy is not None and device.startswith("cuda") and _cupy_sees_a_gpu():
        found.append(cupy_backend())
    elif cupy is None:
        notes.append("CuPy is not installed: no cupy column")
    return found


def _cupy_sees_a_gpu():
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except cupy.cuda.runtime.CUDARuntimeError:
        return False


# ------------------------------------------------------------------ timing
def timed(backend, call):
    """Wall seconds of ``call()`` under the backend's config and thread limit."""
    with sklearn.config_context(array_api_dispatch=backend.dispatch), \
            threadpool_limits(limits=backend.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backend.sync()
        start = time.perf_counter()
        out = call()
        backend.sync()
        return time.perf_counter() - start, out


def interleave(backends, make_call, repeats):
    """Median-ready seconds: each backend once per repeat, alternating."""
    seconds = {b.name: [] for b in backends}
    outputs = {}
    for _ in range(repeats):
        for backend in backends:
            gc.collect()
            t, outputs[backend.name] = timed(backend, make_call(backend))
            seconds[backend.name].append(t)
    return seconds, outputs


def data(sizes):
    """Standardised float32 training rows, labels, and the rows to predict on."""
    X, y = make_classification(
        n_samples=sizes.n_train, n_features=sizes.n_features, n_informative=100,
        n_classes=10, random_state=0,
    )
    X = StandardScaler().fit_transform(X).astype(np.float32)
    rows = np.random.default_rng(0).integers(0, sizes.n_train, size=sizes.n_predict)
    return X, y, X[rows]


def epoch_case(backends, X, y, batch, repeats, notes):
    """Seconds of one ``partial_fit`` epoch per backend, after a warm-up epoch."""
    arrays = {b.name: (b.to_device(X), b.to_device(y)) for b in backends}
    for backend in backends:
        model = MLPClassifier(HIDDEN, solver="adam", batch_size=batch, random_state=0)
        Xb, yb = arrays[backend.name]
        timed(backend, partial(model.partial_fit, Xb, yb, classes=np.unique(y)))
        backend.models[batch] = model
    notes.extend(first_epoch_agreement(backends, batch))

    def make_call(backend):
        model, (Xb, yb) = backend.models[batch], arrays[backend.name]
        return lambda: model.partial_fit(Xb, yb)

    return interleave(backends, make_call, repeats)[0]


def first_epoch_agreement(backends, batch):
    """How far each device's weights are from numpy's after the same first epoch."""
    reference = backends[0].models[batch].coefs_
    lines = []
    for backend in backends[1:]:
        coefs = [backend.to_host(c) for c in backend.models[batch].coefs_]
        gap = max(float(np.abs(c - r).max() / np.abs(r).max())
                  for c, r in zip(coefs, reference, strict=True))
        lines.append(f"{backend.name}: after the first epoch at batch {batch}, the largest "
                     f"weight difference from numpy's is {gap:.2g} of the largest weight")
    return lines


def predict_case(backends, X_predict, batch, repeats):
    """Seconds of ``predict`` on all rows per backend, and the predicted labels."""
    arrays = {b.name: b.to_device(X_predict) for b in backends}
    for backend in backends:  # warm-up on a slice
        timed(backend, partial(backend.models[batch].predict, arrays[backend.name][:10_000]))

    def make_call(backend):
        model, Xb = backend.models[batch], arrays[backend.name]
        return lambda: model.predict(Xb)

    seconds, labels = interleave(backends, make_call, repeats)
    return seconds, {b.name: b.to_host(labels[b.name]) for b in backends}


# ------------------------------------------------------------------ report
def median(values):
    return float(np.median(values))


def cell(values, scale=1.0):
    v = np.asarray(values, dtype=float) * scale
    return f"{np.median(v):.3g} ({v.min():.3g}–{v.max():.3g})"


def speedup_cell(reference, values, target, rate=False):
    speedup = median(values) / median(reference)
    speedup = speedup if rate else 1.0 / speedup
    return f"{speedup:.1f}× ({'yes' if speedup >= target else 'no'})"


def print_table(backends, rows):
    """``rows``: (case, seconds per backend name, target, is a rate)."""
    cpu, devices = backends[0].name, [b.name for b in backends[1:]]
    columns = ["case", cpu, *devices, *(f"speed-up, {d} (target met?)" for d in devices),
               "target"]
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for case, values, target, rate in rows:
        cells = [cell(values[name]) for name in [cpu, *devices]]
        ups = [speedup_cell(values[cpu], values[d], target, rate) for d in devices]
        print(f"| {case} | " + " | ".join(cells + ups) + f" | ≥ {target:g}× |")


def header(args, sizes):
    print(f"# skperceptron {skperceptron.__version__} on a device vs one CPU thread")
    print()
    print("`" + " ".join(["python benchmarks/gpu.py", *args]) + "`")
    print()
    gpu = ""
    if torch is not None and torch.cuda.is_available():
        gpu = f", GPU {torch.cuda.get_device_name()}"
    elif torch is not None:  # a torch CPU column runs on PyTorch's own threads
        threads = torch.get_num_threads()
        gpu = f" (PyTorch on {threads} thread{'s' if threads > 1 else ''})"
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
          f"{gpu}; Python {platform.python_version()}, numpy {np.__version__}, "
          f"scikit-learn {sklearn.__version__}"
          + (f", PyTorch {torch.__version__}" if torch is not None else "")
          + (f", CuPy {cupy.__version__}" if cupy is not None else "") + ".")
    print(f"MLPClassifier{HIDDEN}, Adam, {sizes.n_train:,}×{sizes.n_features} float32, "
          f"10 classes; predict on {sizes.n_predict:,} rows. Wall time, medians "
          f"(min–max) of {sizes.repeats} interleaved repeats.")
    print()


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
    parser.add_argument("--device", default=default,
                        help=f"PyTorch device of the torch column (default here: {default})")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats of each case (default 5, --quick 3)")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.device.startswith("cuda") and not (torch is not None and torch.cuda.is_available()):
        parser.error(f"--device {args.device}: PyTorch sees no CUDA device here")
    return args


def main(argv=None):
    args = parse(argv)
    base = QUICK if args.quick else FULL
    sizes = Sizes(**{**vars(base), "repeats": args.repeats or base.repeats})
    notes = []
    found = backends(args.device, notes)
    header(sys.argv[1:] if argv is None else argv, sizes)
    X, y, X_predict = data(sizes)
    rows = []
    for batch in sizes.batch_sizes:
        seconds = epoch_case(found, X, y, batch, sizes.repeats, notes)
        rows.append((f"Adam epoch, batch {batch}: s", seconds,
                     TARGETS[f"epoch, batch {batch}"], False))
    seconds, labels = predict_case(found, X_predict, sizes.batch_sizes[-1], sizes.repeats)
    rates = {name: [sizes.n_predict / s for s in values] for name, values in seconds.items()}
    rows.append((f"predict {sizes.n_predict:,} rows: rows/s", rates, TARGETS["predict"], True))
    print_table(found, rows)
    print()
    reference = labels[found[0].name]
    for backend in found[1:]:
        agree = float(np.mean(labels[backend.name] == reference))
        notes.append(f"{backend.name}: {agree:.2%} of the predicted labels equal the numpy "
                     f"model's (same initial weights and shuffles, "
                     f"{1 + sizes.repeats} epochs at batch {sizes.batch_sizes[-1]})")
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
