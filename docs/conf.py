"""Sphinx configuration of the skperceptron documentation.

``make docs`` builds it with warnings treated as errors. Three things are generated at
build time rather than written by hand, so that they cannot drift from the code:

* the API pages (autosummary, into ``generated/``);
* the example gallery (sphinx-gallery runs ``examples/plot_*.py`` into ``auto_examples/``);
* the parameter tables of the user guide (``generated/parameters_*.rst``), read from the
  signatures of our estimators and of scikit-learn's.

Intersphinx links to numpy, scipy and scikit-learn use the projects' published
inventories when the network is reachable. Each project also has a small local fallback
inventory (written below, listing the objects these pages link to), so an offline build
still links them and emits no warning.
"""

import inspect
import os
import re
import sys
import zlib
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the checkout, when the package is not installed

import skperceptron  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")

# The gallery's fits are small matrices: with a multi-threaded BLAS on a busy 2-core
# machine its threads fight over the cores and a fit runs up to 100 times slower. One
# BLAS thread per process (the build, and Dask's worker processes, which inherit the
# environment) keeps the build fast everywhere.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from threadpoolctl import threadpool_limits  # noqa: E402  (a scikit-learn dependency)

threadpool_limits(1)

project = "skperceptron"
author = "the skperceptron developers"
copyright = "the skperceptron developers"
version = release = skperceptron.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",  # only to include benchmarks/RESULTS.md, a Markdown file
]
source_suffix = {".rst": "restructuredtext"}

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "obj"

# --------------------------------------------------------------------- API reference
autosummary_generate = True
# Only the methods skperceptron defines (in the estimator class or in its own base class)
# are documented here: the docstrings inherited from scikit-learn's classes (score,
# get_params, get_metadata_routing, ...) cross-reference labels of scikit-learn's own
# documentation, which change between its releases. The API page links to them instead.
autodoc_default_options = {
    "members": True,
    "inherited-members": "BaseEstimator,ClassifierMixin,RegressorMixin,_MetadataRequester",
}
autodoc_typehints = "none"
numpydoc_show_class_members = False  # the class template lists the methods itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


_SHAPE = re.compile(r"shape \(([^)]*)\)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?![`\w])")


def _literal_attribute_shapes(app, what, name, obj, options, lines):
    """Render ``shape (n_features_in_,)`` literally.

    In rst a word ending in an underscore is a hyperlink reference, so an attribute
    name inside a shape in a numpydoc type line would fail the build as an unknown target.
    """
    for i, line in enumerate(lines):
        lines[i] = _SHAPE.sub(
            lambda m: "shape (" + _TRAILING_UNDERSCORE.sub(r"``\1``", m.group(1)) + ")", line
        )

# ------------------------------------------------------------------------ intersphinx
INVENTORIES = {
    # name: (documentation root, {object: (role, path relative to the root)})
    "python": ("https://docs.python.org/3/", {
        "pickle": ("py:module", "library/pickle.html#module-pickle"),
    }),
    "numpy": ("https://numpy.org/doc/stable/", {
        "numpy.ndarray": ("py:class", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
        "numpy.float32": ("py:attribute", "reference/arrays.scalars.html#numpy.float32"),
        "numpy.random.RandomState": (
            "py:class", "reference/random/legacy.html#numpy.random.RandomState"),
    }),
    "scipy": ("https://docs.scipy.org/doc/scipy/", {
        "scipy.optimize.minimize": (
            "py:function",
            "reference/generated/scipy.optimize.minimize.html#scipy.optimize.minimize",
        ),
        "scipy.sparse.csr_matrix": (
            "py:class", "reference/generated/scipy.sparse.csr_matrix.html#scipy.sparse.csr_matrix"),
    }),
    "sklearn": ("https://scikit-learn.org/stable/", {
        name: ("py:class", f"modules/generated/{name}.html#{name}")
        for name in [
            "sklearn.neural_network.MLPClassifier",
            "sklearn.neural_network.MLPRegressor",
            "sklearn.linear_model.Perceptron",
            "sklearn.linear_model.SGDClassifier",
            "sklearn.pipeline.Pipeline",
            "sklearn.model_selection.GridSearchCV",
            "sklearn.preprocessing.StandardScaler",
            "sklearn.calibration.CalibratedClassifierCV",
            "sklearn.exceptions.ConvergenceWarning",
            "sklearn.base.ClassifierMixin",
            "sklearn.base.RegressorMixin",
        ]
    } | {
        name: ("py:function", f"modules/generated/{name}.html#{name}")
        for name in [
            "sklearn.pipeline.make_pipeline",
            "sklearn.calibration.calibration_curve",
            "sklearn.utils.estimator_checks.parametrize_with_checks",
        ]
    }),
    "distributed": ("https://distributed.dask.org/en/stable/", {
        "distributed.LocalCluster": ("py:class", "api.html#distributed.LocalCluster"),
        "distributed.Client": ("py:class", "api.html#distributed.Client"),
    }),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", {
        "joblib.parallel_config": (
            "py:class", "generated/joblib.parallel_config.html#joblib.parallel_config"),
        "joblib.dump": ("py:function", "generated/joblib.dump.html#joblib.dump"),
        "joblib.load": ("py:function", "generated/joblib.load.html#joblib.load"),
    }),
}


def _write_fallback_inventory(name, objects, directory):
    """A Sphinx v2 inventory of ``objects`` (the format intersphinx reads)."""
    lines = [f"{obj} {role} 1 {path} -\n" for obj, (role, path) in sorted(objects.items())]
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {name}\n# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path = directory / f"{name}.inv"
    path.write_bytes(header.encode() + zlib.compress("".join(lines).encode()))
    return str(path)


_fallback_dir = DOCS / "_build" / "intersphinx-fallback"
_fallback_dir.mkdir(parents=True, exist_ok=True)
intersphinx_mapping = {
    name: (url, (None, _write_fallback_inventory(name, objects, _fallback_dir)))
    for name, (url, objects) in INVENTORIES.items()
}
intersphinx_timeout = 5

# ------------------------------------------------------------------------ the gallery
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # run every plot_*.py
    # The `make demo` job is a console script, not a gallery page.
    "ignore_pattern": r"(__init__|demo_digits_search)\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "doc_module": ("skperceptron",),
    "backreferences_dir": "generated/backreferences",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
    # No sg_execution_times.rst files in the source tree (machine-dependent timings).
    "write_computation_times": False,
    "plot_gallery": "True",
}

# ----------------------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"skperceptron {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_show_sourcelink = False


# ------------------------------------------------------------- generated parameter tables
def _default(parameter):
    value = parameter.default
    return "``%r``" % (value,) if value is not inspect.Parameter.empty else "(required)"


# Parameters of ours with no counterpart of the same name in the scikit-learn estimator:
# where that estimator's behaviour lives instead.
COUNTERPARTS = {
    ("PerceptronClassifier", "average"): (
        ":class:`~sklearn.linear_model.SGDClassifier` ``(loss='perceptron', "
        "learning_rate='constant', eta0=1, average=...)``"
    ),
}


def _parameter_table(ours, theirs, qualname):
    mine = inspect.signature(ours).parameters
    reference = inspect.signature(theirs).parameters
    rows = []
    for name, parameter in mine.items():
        if name in reference:
            theirs_default = _default(reference[name])
            same = theirs_default == _default(parameter)
            where = f"``{name}`` " + ("(same default)" if same else f"(default {theirs_default})")
        else:
            where = COUNTERPARTS.get((ours.__name__, name), "not in scikit-learn")
        rows.append((f"``{name}``", _default(parameter), where))
    for name in reference:
        if name not in mine:  # a scikit-learn parameter we lack would show up here
            rows.append(("(none)", "", f"``{name}`` is not supported"))
    out = [
        f".. list-table:: :class:`skperceptron.{ours.__name__}` vs :class:`{qualname}`",
        "   :header-rows: 1",
        "   :widths: 25 20 55",
        "",
        "   * - parameter",
        "     - default",
        "     - scikit-learn",
    ]
    for cells in rows:
        out.append(f"   * - {cells[0]}")
        out.extend(f"     - {cell}" for cell in cells[1:])
    return "\n".join(out) + "\n"


def _write_parameter_tables(app):
    from sklearn.linear_model import Perceptron
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    target = DOCS / "generated"
    target.mkdir(exist_ok=True)
    pairs = [
        (skperceptron.MLPClassifier, MLPClassifier, "sklearn.neural_network.MLPClassifier"),
        (skperceptron.MLPRegressor, MLPRegressor, "sklearn.neural_network.MLPRegressor"),
        (skperceptron.PerceptronClassifier, Perceptron, "sklearn.linear_model.Perceptron"),
    ]
    for ours, theirs, qualname in pairs:
        text = _parameter_table(ours, theirs, qualname)
        path = target / f"parameters_{ours.__name__}.rst"
        if not path.exists() or path.read_text() != text:  # keep incremental builds quiet
            path.write_text(text)


def _write_benchmark_results(app):
    """Include benchmarks/RESULTS.md when the benchmark job has written it."""
    results = ROOT / "benchmarks" / "RESULTS.md"
    if results.exists():
        text = (
            # A leading "/" resolves from the source directory, wherever included from.
            ".. include:: /../benchmarks/RESULTS.md\n"
            "   :parser: myst_parser.sphinx_\n"
        )
    else:
        text = (
            ".. note::\n\n"
            "   ``benchmarks/RESULTS.md`` is not in this checkout yet. Run ``make bench``\n"
            "   to measure this machine, then rebuild the documentation.\n"
        )
    path = DOCS / "generated" / "benchmark_results.rst"
    path.parent.mkdir(exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _skip_metadata_routing(app, what, name, obj, skip, options):
    # scikit-learn generates set_fit_request & co. on each estimator class; their
    # docstrings belong to scikit-learn's documentation (see the note on the API page).
    if re.fullmatch(r"set_\w+_request|get_metadata_routing", name):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_routing)
    app.connect("autodoc-process-docstring", _literal_attribute_shapes)
    app.connect("builder-inited", _write_parameter_tables)
    app.connect("builder-inited", _write_benchmark_results)
