"""What each compiled kernel saves inside an Adam epoch, measured in the real loop.

The training loop of ``_solvers.stochastic`` (gather a shuffled minibatch, objective
value and gradient, optimizer step), written out here so that each of its numpy parts
can be swapped for its one-pass kernel of ``_fused`` / ``_kernels``:

- ``numpy``: the loop as it was before the kernels (``np.take`` gather, bias add and
  relu as two numpy passes, ``np.multiply(delta, A > 0)``, Adam through BLAS
  ``axpy``/``scal`` in nine passes);
- ``+adam``: Adam's one-pass kernel (``_optimizers.Adam.step``);
- ``+bias_act``: and bias + relu in one pass after each hidden product
  (``Objective._hidden_eval``);
- ``+backward``: and the relu derivative multiplied into the delta by the kernel
  (``Objective._activation_backward``);
- ``+l2_in_step``: and the L2 gradient term added by Adam's kernel in its own pass
  (``Objective.value_and_data_grad``, ``Adam.step(..., l2=)``) instead of a separate
  ``axpy``;
- ``+take_rows``: and the minibatch rows gathered by the prefetching kernel
  (``_batches.gather``) instead of ``np.take(mode="clip")``: the library's training
  step as it is (without gradient clipping).

The softmax shift of the loss (``_fused.subtract_row_max``) and the cloned activation
loops are in every variant (``--alone`` times the former).

Every variant computes the same numbers bit for bit except ``numpy``'s Adam (BLAS
``axpy`` may use fused multiply-adds), which the script checks. The variants alternate
inside each repeat with the GEMM floor of ``run.py``; medians in seconds per epoch and
as multiples of the floor. 1 BLAS thread: process CPU time; 2: wall time.

    python benchmarks/fused_step.py [--rows 20000] [--repeats 5] [--threads 1,2]
    python benchmarks/fused_step.py --alone     # each kernel against its numpy lines, alone

``--alone`` times each kernel and the numpy lines it replaces on one step's arrays
(235k parameters; a 256x256 layer with random-sign entries), minimum over repeats of
the per-call time, 1 BLAS thread, so the ratios are of the work itself.
"""

import argparse  # noqa: I001 - run.py (this folder) is imported last
import timeit

import numpy as np
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from skperceptron import _fused
from skperceptron._initialization import initial_theta
from skperceptron._network import Objective
from skperceptron._optimizers import Adam

# run.py's floor and clock. Run as ``python benchmarks/fused_step.py``, this folder is
# on sys.path.
from run import Clock, mlp_gemm_floor, numpy_adam_update

BATCH = 256
HIDDEN = (256, 128)


class SwitchableObjective(Objective):
    """The library's objective, whose hidden layers can go back to the numpy lines the
    kernels replaced: ``Z += b`` then the table's ``forward(Z)``, and the table's
    ``backward(A, delta)`` (these networks keep no pre-activation: relu)."""

    def __init__(self, *args, fuse_forward, fuse_backward, **kwargs):
        super().__init__(*args, **kwargs)
        self._fuse_forward = fuse_forward
        self._fuse_backward = fuse_backward

    def _hidden_eval(self, i, Z, b):
        if self._fuse_forward:
            return super()._hidden_eval(i, Z, b)
        Z += b
        self.activations[i].forward(Z)
        return Z

    def _activation_backward(self, i, delta):
        if self._fuse_backward:
            super()._activation_backward(i, delta)
        else:
            self.activations[i].backward(self._acts[i][: delta.shape[0]], delta)


def blas_adam_step(opt, buf):
    """``Adam.step`` as it was before the kernel: nine passes, BLAS axpy/scal."""

    def step(theta, grad):
        numpy_adam_update(opt, theta, grad, buf)

    return step


def take(X, rows, out):
    return np.take(X, rows, axis=0, out=out[: len(rows)], mode="clip")


# name -> (kernel Adam, fused bias+act, kernel backward, L2 in the step, kernel gather)
VARIANTS = {
    "numpy": (False, False, False, False, False),
    "+adam": (True, False, False, False, False),
    "+bias_act": (True, True, False, False, False),
    "+backward": (True, True, True, False, False),
    "+l2_in_step": (True, True, True, True, False),
    "+take_rows": (True, True, True, True, True),
}


def _training_step(objective, opt, buf, kernel_adam, l2_in_step):
    """``step(theta, X_b, Y_b)``: the objective's value and gradient, then the update."""
    if l2_in_step:
        def step(theta, Xr, Yr):
            _, grad, l2 = objective.value_and_data_grad(theta, Xr, Yr)
            opt.step(theta, grad, l2=l2)
    else:
        update = opt.step if kernel_adam else blas_adam_step(opt, buf)

        def step(theta, Xr, Yr):
            _, grad = objective.value_and_grad(theta, Xr, Yr)
            update(theta, grad)
    return step


def make_epoch(X, Y, dtype, flags):
    kernel_adam, fuse_forward, fuse_backward, l2_in_step, kernel_gather = flags
    gather = _fused.take_rows if kernel_gather else take
    n, d = X.shape
    units = [d, *HIDDEN, Y.shape[1]]
    names = ["relu"] * len(HIDDEN)
    theta0 = initial_theta(units, names, np.random.RandomState(0), dtype)
    objective = SwitchableObjective(units, names, "log_loss", 1e-4, dtype, BATCH,
                                    fuse_forward=fuse_forward, fuse_backward=fuse_backward)
    X_b, Y_b = np.empty((BATCH, d), dtype), np.empty((BATCH, Y.shape[1]), dtype)

    def epoch(clock):
        theta = theta0.copy()
        opt = Adam(theta, 1e-3)
        step = _training_step(objective, opt, np.empty_like(theta), kernel_adam, l2_in_step)
        order = np.random.default_rng(0).permutation(n)
        start_t = clock.now()
        for start in range(0, n - BATCH + 1, BATCH):
            rows = order[start : start + BATCH]
            step(theta, gather(X, rows, X_b), gather(Y, rows, Y_b))
        return clock.now() - start_t, theta

    return epoch


def run(threads, dtype, args):
    X, y = make_classification(args.rows, 784, n_informative=50, n_classes=10, random_state=0)
    X = X.astype(dtype)
    Y = np.eye(10, dtype=dtype)[y]
    clock = Clock(threads)
    epochs = {name: make_epoch(X, Y, dtype, flags) for name, flags in VARIANTS.items()}
    steps = args.rows // BATCH
    times = {name: [] for name in [*VARIANTS, "floor"]}
    results = {}
    with threadpool_limits(limits=threads, user_api="blas"):
        for name, epoch in epochs.items():  # warm-up, and the final weights
            results[name] = epoch(clock)[1]
        names = list(epochs)
        for r in range(args.repeats):
            # The order rotates between repeats so that no variant always follows another.
            for name in names[r % len(names):] + names[: r % len(names)]:
                times[name].append(epochs[name](clock)[0])
            times["floor"].append(mlp_gemm_floor(clock, 784, HIDDEN, 10, [BATCH] * steps, dtype))
    kernels_agree = all(
        np.array_equal(results["+adam"], results[k]) for k in VARIANTS if k != "numpy"
    )
    return times, kernels_agree, float(np.max(np.abs(results["numpy"] - results["+adam"])))


def alone(dtype, repeats):
    """(name, numpy us, kernel us) per call for each kernel and the numpy lines it replaces."""
    from skperceptron import _kernels
    from skperceptron._activations import ACTIVATIONS

    rng = np.random.default_rng(0)
    n = 235_146
    theta, g, m = (rng.standard_normal(n).astype(dtype) for _ in range(3))
    v = np.abs(rng.standard_normal(n)).astype(dtype)
    buf = np.empty_like(theta)
    opt = Adam(theta.copy(), 1e-3)
    opt.state.update(m=m.copy(), v=v.copy())
    blas = blas_adam_step(opt, buf)
    Z0 = rng.standard_normal((BATCH, 256)).astype(dtype)
    b = rng.standard_normal(256).astype(dtype)
    A = np.maximum(rng.standard_normal((BATCH, 256)), 0).astype(dtype)
    d0 = rng.standard_normal((BATCH, 256)).astype(dtype)
    Z, d = Z0.copy(), d0.copy()

    def numpy_bias_relu():
        np.copyto(Z, Z0)
        np.add(Z, b, out=Z)  # Z += b (Z is the enclosing function's buffer)
        ACTIVATIONS["relu"].forward(Z)

    def kernel_bias_relu():
        np.copyto(Z, Z0)
        _kernels.bias_activation(Z, b, _kernels.RELU)

    def numpy_relu_backward():
        np.copyto(d, d0)
        ACTIVATIONS["relu"].backward(A, d)

    def kernel_relu_backward():
        np.copyto(d, d0)
        _kernels.activation_backward(A, d, _kernels.RELU)

    logits = rng.standard_normal((BATCH, 10)).astype(dtype)
    shifted = np.empty_like(logits)

    def numpy_shift():
        np.subtract(logits, logits.max(axis=1, keepdims=True), out=shifted)

    pairs = {
        "Adam step (235k params)": (
            lambda: blas(theta, g),
            lambda: _fused.adam_update(theta, g, m, v, 1e-3, 0.9, 0.999, 1e-8),
        ),
        "bias + relu (256x256, incl. a copy)": (numpy_bias_relu, kernel_bias_relu),
        "relu derivative (256x256, incl. a copy)": (numpy_relu_backward, kernel_relu_backward),
        "softmax shift (256x10)": (numpy_shift, lambda: _fused.subtract_row_max(logits, shifted)),
    }
    best = lambda f: min(timeit.repeat(f, number=200, repeat=repeats)) / 200 * 1e6
    with threadpool_limits(limits=1, user_api="blas"):
        return [(name, best(a), best(k)) for name, (a, k) in pairs.items()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--alone", action="store_true", help="each kernel alone against numpy")
    args = parser.parse_args()
    if args.alone:
        print("| kernel | dtype | numpy us/call | kernel us/call | numpy / kernel |")
        print("|---|---|---|---|---|")
        for dtype in args.dtypes.split(","):
            for name, a, k in alone(np.dtype(dtype), args.repeats):
                print(f"| {name} | {dtype} | {a:.1f} | {k:.1f} | {a / k:.2f} |")
        return
    print(f"Adam epoch, {args.rows}x784, {HIDDEN}, batch {BATCH}; {args.repeats} repeats; "
          "s per epoch: median (min-max), median and min as multiples of the floor's; "
          "saving = previous variant's median - this one's\n")
    for threads in [int(t) for t in args.threads.split(",")]:
        for dtype in args.dtypes.split(","):
            times, agree, diff = run(threads, np.dtype(dtype), args)
            floor = float(np.median(times["floor"]))
            timing = "CPU" if threads == 1 else "wall"
            print(f"## {dtype}, {threads} BLAS thread(s) ({timing} time)\n")
            print("| variant | s/epoch | x floor (median) | x floor (min) | saving vs previous |")
            print("|---|---|---|---|---|")
            previous = None
            for name in VARIANTS:
                med = float(np.median(times[name]))
                saving = "" if previous is None else f"{previous - med:+.3f}"
                low, high = min(times[name]), max(times[name])
                print(f"| {name} | {med:.3f} ({low:.3f}-{high:.3f}) "
                      f"| {med / floor:.2f} | {low / min(times['floor']):.2f} | {saving} |")
                previous = med
            print(f"| GEMM floor | {floor:.3f} "
                  f"({min(times['floor']):.3f}-{max(times['floor']):.3f}) | 1.00 | 1.00 | |")
            print(f"\nkernel variants give identical weights: {agree}; "
                  f"max |numpy - kernel| after one epoch: {diff:.2e}\n", flush=True)


if __name__ == "__main__":
    main()
