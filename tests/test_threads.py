"""The BLAS thread policy of training: one thread for small products, else untouched."""

from threadpoolctl import threadpool_info, threadpool_limits

from skperceptron._threads import SMALL_GEMM_MULTIPLY_ADDS, blas_thread_limit


def _blas_threads():
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_small_steps_run_on_one_thread_and_the_setting_comes_back():
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        with blas_thread_limit(256, [784, 256, 128, 10]):  # 256*784*256 = 5.1e7 < 1e8
            assert set(_blas_threads()) == {1}
        assert _blas_threads() == before


def test_large_steps_keep_the_callers_setting():
    rows = SMALL_GEMM_MULTIPLY_ADDS // (784 * 256) + 1
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        with blas_thread_limit(rows, [784, 256, 10]):
            assert _blas_threads() == before
