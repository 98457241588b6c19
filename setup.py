"""Build step for the compiled modules: the perceptron's online loop and the MLP kernels.

All metadata lives in pyproject.toml; this file only declares the Cython extensions so
that ``pip install .`` (and ``pip install -e .``) compiles them with no manual step.
The Cython compiler directives are set here, once, for every module.

OpenMP: the MLP kernels (``_kernels.pyx``) use ``prange``. Whether the C compiler
supports ``-fopenmp`` is found out by compiling and linking a tiny program with it; if
it does not (for instance Apple clang without libomp), the kernels build without it and
run serially, with identical results. ``SKPERCEPTRON_OPENMP=0`` in the environment
forces the serial build.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

COMPILER_DIRECTIVES = {
    "language_level": "3",
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}

NUMPY = dict(
    include_dirs=[np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
)

_OPENMP_TEST = r"""
#include <omp.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    return n > 0 ? 0 : 1;
}
"""


def _openmp_flags(compiler):
    """``(compile_args, link_args)`` enabling OpenMP, or ``None`` if the compiler has none."""
    if os.environ.get("SKPERCEPTRON_OPENMP", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    if compiler.compiler_type == "msvc":
        candidates = [(["/openmp"], [])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"]), (["-Xpreprocessor", "-fopenmp"], ["-lomp"])]
    tmp = tempfile.mkdtemp(prefix="skperceptron-openmp-")
    try:
        source = Path(tmp, "test_openmp.c")
        source.write_text(_OPENMP_TEST)
        for compile_args, link_args in candidates:
            try:
                objects = compiler.compile(
                    [str(source)], output_dir=tmp, extra_postargs=compile_args
                )
                compiler.link_executable(
                    objects, "test_openmp", output_dir=tmp, extra_postargs=link_args
                )
            except Exception:  # noqa: BLE001 - any failure means "not with these flags"
                continue
            return compile_args, link_args
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _exact_math_flags(compiler):
    # -ffp-contract=off: no fused multiply-add, so each kernel rounds exactly as the
    # numpy formula it replaces. -fno-math-errno and -fno-trapping-math change no value
    # (only errno and floating-point exception flags, which nothing reads) but let
    # sqrt be a vector instruction and comparisons become masks: without them GCC
    # emits the relu derivative as a branchy scalar loop, many times slower.
    if compiler.compiler_type == "msvc":
        return ["/fp:precise"]
    return ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]


class BuildExt(build_ext):
    """Adds OpenMP (when the compiler has it) and exact-math flags to ``_kernels``."""

    def build_extensions(self):
        openmp = _openmp_flags(self.compiler)
        for ext in self.extensions:
            if ext.name != "skperceptron._kernels":
                continue
            ext.extra_compile_args += _exact_math_flags(self.compiler)
            if openmp is not None:
                ext.extra_compile_args += openmp[0]
                ext.extra_link_args += openmp[1]
        print(f"skperceptron._kernels: OpenMP {'on' if openmp else 'off (serial kernels)'}",
              file=sys.stderr)
        super().build_extensions()


extensions = [
    Extension("skperceptron._perceptron_fast", ["skperceptron/_perceptron_fast.pyx"], **NUMPY),
    Extension("skperceptron._kernels", ["skperceptron/_kernels.pyx"], **NUMPY),
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=COMPILER_DIRECTIVES),
    cmdclass={"build_ext": BuildExt},
)
