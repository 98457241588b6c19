"""Build step for the one compiled module: the perceptron's online update loop.

All metadata lives in pyproject.toml; this file only declares the Cython extension so
that ``pip install .`` (and ``pip install -e .``) compiles it with no manual step.
"""

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(
        "skperceptron._perceptron_fast",
        ["skperceptron/_perceptron_fast.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )
)
