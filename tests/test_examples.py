"""Smoke test of the example gallery: every ``examples/plot_*.py`` runs and draws.

Each example runs in a fresh interpreter (as ``python examples/plot_x.py`` would, and as
the Dask example needs: its worker processes re-import the main module) with the Agg
backend. A small driver runs it with ``runpy``, then saves every open figure and counts
what its axes draw, so the test checks that each figure shows something (a line, marker,
image, bar, text or table), not only that the example exited cleanly.
"""

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))

pytest.importorskip("matplotlib")

DRIVER = textwrap.dedent(
    """
    import runpy, sys
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.show = lambda *args, **kwargs: None
    script, out = sys.argv[1], sys.argv[2]
    sys.argv = [script]
    runpy.run_path(script, run_name="__main__")
    for number in plt.get_fignums():
        figure = plt.figure(number)
        figure.savefig(f"{out}/figure_{number}.png")
        drawn = sum(len(ax.lines) + len(ax.collections) + len(ax.images) + len(ax.patches)
                    + len(ax.texts) + len(ax.tables) for ax in figure.axes)
        with open(f"{out}/figure_{number}.artists", "w") as counts:
            counts.write(str(drawn))
    """
)


# Packages of the optional extras; an example importing one is skipped without it.
OPTIONAL = {"dask", "dask_ml", "distributed", "mlflow", "onnx", "onnxruntime", "rich",
            "skl2onnx", "torch"}
# Our optional modules and the extras they import.
OPTIONAL_MODULES = {"skperceptron.onnx": ["skl2onnx", "onnx", "onnxruntime"]}


def _needs(example):
    needed = []
    for node in ast.walk(ast.parse(example.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            needed += [name.split(".")[0]] if name.split(".")[0] in OPTIONAL else []
            needed += OPTIONAL_MODULES.get(name, [])
    return sorted(set(needed))


def test_every_example_is_collected():
    # The seven examples; a new plot_*.py is picked up automatically.
    assert len(EXAMPLES) >= 7, EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_runs_and_draws(example, tmp_path):
    for module in _needs(example):
        pytest.importorskip(module)
    env = dict(os.environ, MPLBACKEND="Agg")
    # Small fits: one BLAS thread each avoids thread thrashing on a busy 2-core machine.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, str(example), str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = sorted(tmp_path.glob("figure_*.png"))
    assert figures, f"{example.name} drew no figure"
    for figure in figures:
        # Axes without a line, marker, image, bar, text or table count as empty.
        drawn = int(figure.with_suffix(".artists").read_text())
        assert drawn > 0, f"{figure.name} of {example.name} draws nothing"
        assert figure.stat().st_size > 5_000, f"{figure.name} of {example.name} is empty"
