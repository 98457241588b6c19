"""How far one Adam epoch on a device lands from the same epoch on numpy, against how
far numpy's own float32 epoch lands from its float64 epoch.

The data and network of ``benchmarks/gpu.py`` (``make_classification``, 60,000 x 784,
10 classes, standardised; ``MLPClassifier((256, 128))``, Adam, ``random_state=0``):
one ``partial_fit`` epoch per fit, all fits from the same initial weights and shuffles;
"numpy" is skperceptron on numpy arrays, "torch" the same estimator on PyTorch tensors
through Array API dispatch. Each row is the largest weight difference between two fits,
relative to the largest weight of the second, per layer. It tells plain round-off
(differences near the dtype's precision) from a training that amplifies round-off (the
numpy float32 fit far from the numpy float64 fit as well) and from a real discrepancy
(the float64 fits far apart).

    python benchmarks/agreement.py                     # PyTorch on cuda if available
    python benchmarks/agreement.py --device cpu --n-samples 20000
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy is imported

import argparse
import warnings

import numpy as np
import sklearn
import torch
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier


def one_epoch(X, y, batch, device=None):
    """The weights (numpy) after one Adam epoch on ``X`` (moved to ``device`` if given)."""
    model = MLPClassifier((256, 128), batch_size=batch, random_state=0)
    classes = np.unique(y)
    with sklearn.config_context(array_api_dispatch=device is not None), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if device is None:
            model.partial_fit(X, y, classes=classes)
        else:
            model.partial_fit(torch.asarray(X, device=device),
                              torch.asarray(y, device=device), classes=classes)
    return [np.asarray(c.cpu()) if isinstance(c, torch.Tensor) else c for c in model.coefs_]


def gaps(weights, reference):
    return ", ".join(f"{np.abs(w - r).max() / np.abs(r).max():.2g}"
                     for w, r in zip(weights, reference, strict=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--n-samples", type=int, default=60_000)
    args = parser.parse_args()
    X, y = make_classification(n_samples=args.n_samples, n_features=784, n_informative=100,
                               n_classes=10, random_state=0)
    X64 = StandardScaler().fit_transform(X)
    X32 = X64.astype(np.float32)
    print(f"`python benchmarks/agreement.py --device {args.device} "
          f"--n-samples {args.n_samples}`; torch {torch.__version__}, "
          f"scikit-learn {sklearn.__version__}")
    print()
    print("| batch | pair (after one epoch) | largest weight difference / largest weight, "
          "per layer |")
    print("|---|---|---|")
    for batch in (256, 1024):
        numpy32, numpy64 = one_epoch(X32, y, batch), one_epoch(X64, y, batch)
        rows = {
            f"torch {args.device} float32 vs numpy float32": (
                one_epoch(X32, y, batch, args.device), numpy32),
            f"torch {args.device} float64 vs numpy float64": (
                one_epoch(X64, y, batch, args.device), numpy64),
            "numpy float32 vs numpy float64": (numpy32, numpy64),
        }
        for name, (weights, reference) in rows.items():
            print(f"| {batch} | {name} | {gaps(weights, reference)} |")


if __name__ == "__main__":
    main()
