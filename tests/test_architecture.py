"""The module layout, read with ``ast``: imports only flow downward, the core needs no
scikit-learn, one module touches its private names, and modules and functions stay
short."""

import ast
import graphlib
from pathlib import Path

import skperceptron

PACKAGE = Path(skperceptron.__file__).parent

# module -> package modules it may import
ALLOWED = {
    "_activations": set(),
    "_losses": {"_activations", "_fused"},
    "_fused": {"_activations", "_kernels"},
    "_optimizers": {"_array_steps", "_fused"},
    # The Array API path: the backend record, functional steps and objective.
    "_backend": set(),
    "_array_steps": set(),
    "_network_array": {"_activations", "_losses", "_network"},
    "_validation": {"_backend"},
    "_version": set(),
    "_persistence": {"_version"},
    "_state": {"_persistence"},
    "_threads": set(),
    "_batches": {"_fused"},
    "_checkpoint": set(),
    "_solvers": {"_checkpoint"},
    "_network": {"_activations", "_fused", "_losses"},
    "_initialization": {"_network"},
    "_options": {"_activations", "_initialization", "_losses", "_optimizers", "_validation"},
    "_prediction": {"_activations", "_network", "_network_array", "_validation"},
    "_early_stopping": {"_fitted", "_network", "_network_array", "_solvers", "_validation"},
    "_architecture": {"_activations", "_validation"},
    "_convergence": {"_solvers", "_validation"},
    "_fitted": {"_losses", "_network", "_network_array", "_optimizers", "_solvers",
                "_validation"},
    "_base": {"_architecture", "_batches", "_callbacks", "_convergence", "_fitted",
              "_early_stopping", "_initialization", "_losses", "_network", "_network_array",
              "_optimizers",
              "_options",
              "_persistence", "_prediction", "_solvers", "_state", "_threads", "_validation"},
    "_calibration": set(),
    # The only importer of sklearn.callback; public callbacks and the display beside it.
    "_callbacks": set(),
    "callbacks": {"_validation"},
    "_display": set(),
    "_perceptron_training": {"_perceptron_data", "_perceptron_fast", "_validation"},
    "_perceptron_data": set(),
    "_perceptron_docs": set(),
    "_perceptron_fit": {"_calibration", "_perceptron_data", "_perceptron_training", "_state",
                        "_validation"},
    "_perceptron": {"_callbacks", "_calibration", "_perceptron_data", "_perceptron_docs",
                    "_perceptron_fit", "_persistence", "_state", "_validation"},
    "_docs": set(),
    "_regressor": {"_base", "_docs", "_options", "_state", "_validation"},
    "_class_labels": {"_validation"},
    "_mlp": {"_base", "_class_labels", "_docs", "_options", "_regressor", "_state",
             "_validation"},
    # Optional ONNX export, never imported by the package root.
    "_onnx_graph": set(),
    "_onnx_check": {"_validation"},
    "_onnx_model": {"_mlp", "_onnx_graph", "_perceptron"},
    "onnx": {"_mlp", "_onnx_check", "_onnx_graph", "_onnx_model", "_perceptron"},
}


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield node.level, node.module or "", [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name, []


def test_imports_flow_downward():
    for name, allowed in ALLOWED.items():
        used = set()
        for level, module, names in _imports(PACKAGE / f"{name}.py"):
            if level == 1:
                # "from ._x import y" names _x; "from . import _x" names _x in names.
                used |= {module.split(".")[0]} if module else set(names)
        assert used <= allowed, (name, used - allowed)
    # "Downward" is a property of the map itself: it must order the modules (raises
    # graphlib.CycleError on a cycle), and every module imported is itself on the map.
    order = list(graphlib.TopologicalSorter(ALLOWED).static_order())
    assert set(order) <= set(ALLOWED) | {"_kernels", "_perceptron_fast"}, set(order) - set(ALLOWED)


def test_only_validation_imports_sklearn_private_names():
    for path in PACKAGE.glob("*.py"):
        if path.stem == "_validation":
            continue
        for level, module, names in _imports(path):
            if level == 0 and module.startswith("sklearn"):
                private = [p for p in module.split(".") if p.startswith("_")]
                private += [n for n in names if n.startswith("_")]
                assert not private, (path.name, module, names)


def test_every_module_is_in_the_import_map():
    # A new module must say where it sits in the layering.
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules <= set(ALLOWED), sorted(modules - set(ALLOWED))


# The numerical core: tables, kernels, loops. It runs without scikit-learn, so the
# Array API and compiled-kernel work can swap its bodies without touching estimators.
CORE = ("_activations", "_losses", "_fused", "_threads", "_optimizers", "_batches",
        "_checkpoint", "_solvers", "_network", "_initialization", "_state", "_persistence",
        "_version", "_backend", "_array_steps", "_network_array")


def imported_names(node):
    """The absolute dotted names an ``ast`` node may import: ``import a.b`` gives a.b,
    ``from a import b`` a and a.b, a call such as ``importlib.import_module("a.b")`` or
    ``__import__("a.b")`` its string arguments; relative imports give nothing."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [] if node.level else [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    if isinstance(node, ast.Call):
        return [str(a.value) for a in node.args if isinstance(a, ast.Constant)]
    return []


def _names_sklearn(node):
    return any(name.startswith("sklearn") for name in imported_names(node))


def test_core_modules_import_nothing_of_sklearn():
    for name in CORE:
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        found = [getattr(n, "lineno", "?") for n in ast.walk(tree) if _names_sklearn(n)]
        assert not found, (name, found)


def test_the_sklearn_import_detector_catches_each_form():
    for source in ("import sklearn", "import sklearn.base as b", "from sklearn import clone",
                   "from sklearn.exceptions import ConvergenceWarning",
                   "importlib.import_module('sklearn.utils')", "__import__('sklearn')"):
        assert any(_names_sklearn(n) for n in ast.walk(ast.parse(source))), source
    for source in ("import numpy", "from . import _solvers", "from .sklearn_like import x"):
        assert not any(_names_sklearn(n) for n in ast.walk(ast.parse(source))), source


MAX_MODULE_LINES = 410
MAX_FUNCTION_LINES = 60
MAX_PARAMETERS = 8


def _functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield node, item
        elif isinstance(node, ast.Module):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield None, item


def _n_parameters(function):
    args = function.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return len([n for n in names if n not in ("self", "cls")])


def _estimator_init(cls, function):
    # scikit-learn's convention: every constructor argument is a hyperparameter.
    return cls is not None and function.name == "__init__" and any(
        getattr(b, "id", "").endswith(("Classifier", "Regressor", "Perceptron")) for b in cls.bases
    )


def _why_comment(lines, function):
    # A long parameter list is allowed where a comment right above it says why.
    first = min([function.lineno] + [d.lineno for d in function.decorator_list])
    return lines[first - 2].lstrip().startswith("#")


def test_modules_and_functions_stay_small():
    for path in sorted(PACKAGE.glob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        assert len(lines) <= MAX_MODULE_LINES, (path.name, len(lines))
        for cls, function in _functions(ast.parse(text)):
            where = (path.name, function.name)
            assert function.end_lineno - function.lineno < MAX_FUNCTION_LINES, where
            if _n_parameters(function) > MAX_PARAMETERS and not _estimator_init(cls, function):
                assert _why_comment(lines, function), where


def test_string_options_are_the_tables_keys():
    from skperceptron._activations import ACTIVATIONS
    from skperceptron._initialization import INITIALIZERS
    from skperceptron._optimizers import OPTIMIZERS, SCHEDULES
    from skperceptron._options import MLP_PARAMETER_CONSTRAINTS as C

    def options(name):
        return next(c.options for c in C[name]
                    if hasattr(c, "options") and isinstance(c.options, set)
                    and all(isinstance(o, str) for o in c.options))

    assert options("activation") == set(ACTIVATIONS)
    assert options("learning_rate") == set(SCHEDULES)
    assert options("weight_init") == set(INITIALIZERS)
    assert options("solver") == {"lbfgs"} | set(OPTIMIZERS)
