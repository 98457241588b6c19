"""The BLAS thread policy of training: one thread when one step's products are small.

On few cores, OpenBLAS's threads on small products cost more in synchronisation (and
in spinning beside the elementwise work) than they gain, and collapse when the cores
are shared. Measured on a 2-core machine: under load a 256-row minibatch epoch was 10x
slower with 2 threads than with 1; quiet, an L-BFGS evaluation on 10000x100 took 3x
longer with 2 threads. Training therefore runs with 1 BLAS thread whenever the largest
product of one step (a minibatch, or one cache-sized block of the full batch) has fewer
multiply-adds than :data:`SMALL_GEMM_MULTIPLY_ADDS`; larger products keep the caller's
setting. Prediction is not limited (2 threads measured 1.6x faster there). The limit
only ever lowers the thread count, so a user's own ``threadpool_limits`` still rules.
See ``benchmarks/RESULTS.md``.
"""

from contextlib import nullcontext

from threadpoolctl import ThreadpoolController

SMALL_GEMM_MULTIPLY_ADDS = 10**8
_controller = None


def blas_thread_limit(rows, layer_units):
    """A context that limits BLAS to one thread when one step's products are small.

    ``rows`` is the number of rows of one step's products (the minibatch size, or the
    objective's block size for a full batch); ``layer_units`` the layer widths.
    """
    global _controller
    largest = rows * max(i * o for i, o in zip(layer_units[:-1], layer_units[1:], strict=True))
    if largest >= SMALL_GEMM_MULTIPLY_ADDS:
        return nullcontext()
    if _controller is None:  # inspecting the loaded libraries costs ~ms
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
