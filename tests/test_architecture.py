"""The module layout: imports only flow downward, one module touches sklearn privates."""

import ast
from pathlib import Path

import skperceptron

PACKAGE = Path(skperceptron.__file__).parent

# module -> package modules it may import
ALLOWED = {
    "_activations": set(),
    "_losses": {"_activations"},
    "_blas": set(),
    "_fused": {"_activations", "_kernels"},
    "_optimizers": {"_blas", "_fused"},
    "_validation": set(),
    "_version": set(),
    "_persistence": {"_version"},
    "_solvers": set(),
    "_network": {"_activations", "_blas", "_losses"},
    "_base": {"_activations", "_losses", "_network", "_optimizers", "_persistence", "_solvers",
              "_validation"},
    "_perceptron": {"_base", "_perceptron_fast", "_persistence", "_validation"},
    "_mlp": {"_base", "_losses", "_validation"},
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


def test_only_validation_imports_sklearn_private_names():
    for path in PACKAGE.glob("*.py"):
        if path.stem == "_validation":
            continue
        for level, module, names in _imports(path):
            if level == 0 and module.startswith("sklearn"):
                private = [p for p in module.split(".") if p.startswith("_")]
                private += [n for n in names if n.startswith("_")]
                assert not private, (path.name, module, names)


def test_solvers_and_network_know_nothing_of_estimators():
    for name in ("_solvers", "_network", "_optimizers"):
        text = (PACKAGE / f"{name}.py").read_text()
        assert "BaseEstimator" not in text and "sklearn.base" not in text, name
