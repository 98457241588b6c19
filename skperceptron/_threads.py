"""The BLAS thread policy of training, from measurements (``benchmarks/RESULTS.md``,
"Thread policy, revised").

- **Minibatch solvers** ('sgd', 'adam') use the caller's BLAS threads: whatever
  ``threadpoolctl.threadpool_limits`` or the BLAS environment variables allow, up to all
  cores. On a quiet 2-core machine two threads made every measured epoch faster than one
  (60,000 x 784, (256, 128): 0.45 against 0.65 s in float32; 50,000 x 50: 0.22 against
  0.29 s), and left scikit-learn's two-thread epoch 1.8-2x slower than ours.
- **Full-batch L-BFGS** runs on one BLAS thread when the largest product of one block of
  the objective has fewer than :data:`SMALL_GEMM_MULTIPLY_ADDS` multiply-adds: there two
  threads were 3x slower (10,000 x 100, (100,): 0.64-0.84 against 0.20 s per fit), also
  for scikit-learn (0.99 against 0.38 s).
- **One BLAS pool at a time.** numpy and SciPy wheels each bundle an OpenBLAS with its
  own threads; the training loop calls numpy's only (the L2 term and the optimizer steps
  are compiled kernels, ``_fused``), because a call into SciPy's BLAS between numpy's
  products set the two pools spinning against each other (an objective evaluation 6x
  slower at two threads).
- **Compiled kernels** (``_fused``) run on one OpenMP thread beside BLAS's threads, never
  more: two OpenMP threads beside two BLAS threads measured 3.65x and 5.6x slower.

The limit only ever lowers the thread count, so a user's own ``threadpool_limits`` still
rules. Prediction is never limited. The limit is set from the main thread only:
threadpoolctl's limits are reliable there alone (its README says so). With OpenBLAS's
pthreads build (0.3.31 here) a limit set from a worker thread after one set in the main
thread read back unchanged, and one restored from another thread than the one that set
it could stay set: overlapping L-BFGS fits of a threading joblib search left the whole
process on one BLAS thread in 2 of 5 runs (an independent check, 2026-12-03). Fits in
worker threads (a threading joblib backend, a multi-threaded Dask worker) therefore run
on the caller's setting. In the main thread the limit is shared by nested fits (a fit
started from a callback): the first sets it, the last to end restores it.
"""

import threading
from contextlib import contextmanager, nullcontext

from threadpoolctl import ThreadpoolController

SMALL_GEMM_MULTIPLY_ADDS = 10**8
_controller = None
_shared = {"limiter": None, "fits": 0}  # the one-thread limit and the fits under it


def full_batch_thread_limit(rows, layer_units):
    """The context of an L-BFGS fit: one BLAS thread when its products are small.

    ``rows`` is the number of rows of one block of the full-batch objective;
    ``layer_units`` the layer widths. (Minibatch fits run under no limit of ours.)
    """
    largest = rows * max(i * o for i, o in zip(layer_units[:-1], layer_units[1:], strict=True))
    if largest >= SMALL_GEMM_MULTIPLY_ADDS or not _in_main_thread():
        return nullcontext()
    return _one_blas_thread()


def _in_main_thread():
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _one_blas_thread():
    """threadpoolctl's one-thread BLAS limit, shared by nested fits of the main thread
    (each restoring what it found would leave the inner one's limit behind). Entered
    from the main thread only, so no lock guards the count."""
    global _controller
    if not _shared["fits"]:
        if _controller is None:  # inspecting the loaded libraries costs ~ms
            _controller = ThreadpoolController()
        _shared["limiter"] = _controller.limit(limits=1, user_api="blas")
    _shared["fits"] += 1
    try:
        yield
    finally:
        _shared["fits"] -= 1
        if not _shared["fits"]:
            _shared["limiter"].restore_original_limits()
