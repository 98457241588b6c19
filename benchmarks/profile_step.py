"""Where one Adam epoch's time goes: gather, objective and optimizer, against the floor.

The benchmark case of issue #4 (60,000 x 784, 10 classes, hidden (256, 128), batch 256,
by default 1 BLAS thread and process CPU time; with ``--threads 2`` wall time) taken
apart: each repeat runs one epoch of the real training loop with a timer around each
phase, then the same phases alone (the same call repeated on one batch, everything warm
in cache), then the GEMM floor. Medians over the repeats, in seconds per epoch and as
multiples of the floor.

    python benchmarks/profile_step.py [--dtype float32|float64] [--repeats 5] [--threads 1]
"""

import argparse

import numpy as np

# run.py's floor, so that both scripts divide by the same definition of it. Run as
# ``python benchmarks/profile_step.py``, this folder is on sys.path.
from run import Clock, mlp_gemm_floor
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from skperceptron._batches import gather as _gather
from skperceptron._initialization import initial_theta
from skperceptron._network import Objective
from skperceptron._optimizers import Adam

BATCH = 256


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args()
    dtype = np.dtype(args.dtype)

    n, d, units = 60_000, 784, [784, 256, 128, 10]
    X, y = make_classification(n, d, n_informative=50, n_classes=10, random_state=0)
    X = X.astype(dtype)
    Y = np.eye(10, dtype=dtype)[y]
    theta = initial_theta(units, ["relu", "relu"], np.random.RandomState(0), dtype)
    objective = Objective(units, ["relu", "relu"], "log_loss", 1e-4, dtype, BATCH)
    adam = Adam(theta, 1e-3)
    X_b, Y_b = np.empty((BATCH, d), dtype), np.empty((BATCH, 10), dtype)
    starts = range(0, n - BATCH + 1, BATCH)
    clock = Clock(args.threads).now

    def in_loop():
        order = np.random.default_rng(0).permutation(n)
        spent = np.zeros(3)
        for start in starts:
            t0 = clock()
            rows = order[start : start + BATCH]
            _gather(X, rows, X_b)
            _gather(Y, rows, Y_b)
            t1 = clock()
            # As the training loop calls them: the L2 term left to Adam's pass.
            _, grad, l2 = objective.value_and_data_grad(theta, X_b, Y_b)
            t2 = clock()
            adam.step(theta, grad, l2=l2)
            spent += (t1 - t0, t2 - t1, clock() - t2)
        return spent

    def alone():
        rows = np.random.default_rng(0).permutation(n)[:BATCH]  # random rows, warm after once
        _, grad, l2 = objective.value_and_data_grad(theta, X_b, Y_b)
        grad = grad.copy()  # outside the timer: the step alone, not an allocation
        spent = []
        for phase in (
            lambda: (_gather(X, rows, X_b), _gather(Y, rows, Y_b)),
            lambda: objective.value_and_data_grad(theta, X_b, Y_b),
            lambda: adam.step(theta, grad, l2=l2),
        ):
            t0 = clock()
            for _ in starts:
                phase()
            spent.append(clock() - t0)
        return np.array(spent)

    def floor():
        return mlp_gemm_floor(Clock(args.threads), d, units[1:-1], units[-1],
                              [BATCH] * len(starts), dtype)

    with threadpool_limits(limits=args.threads, user_api="blas"):
        in_loop()  # warm-up
        runs = [(in_loop(), alone(), floor()) for _ in range(args.repeats)]
    loop_t = np.median([r[0] for r in runs], axis=0)
    alone_t = np.median([r[1] for r in runs], axis=0)
    floor_t = float(np.median([r[2] for r in runs]))

    timing = "CPU" if args.threads == 1 else "wall"
    print(f"{dtype.name}, {args.threads} BLAS thread(s) ({timing} time), medians of "
          f"{args.repeats} repeats, s per epoch\n")
    print("| phase | in the loop | alone |")
    print("|---|---|---|")
    phases = ("gather", "value_and_data_grad", "Adam step")
    for name, a, b in zip(phases, loop_t, alone_t, strict=True):
        print(f"| {name} | {a:.3f} ({a / floor_t:.2f}x floor) | {b:.3f} ({b / floor_t:.2f}x) |")
    print(f"| all | {loop_t.sum():.3f} ({loop_t.sum() / floor_t:.2f}x floor) | |")
    print(f"| GEMM floor | {floor_t:.3f} | |")


if __name__ == "__main__":
    main()
