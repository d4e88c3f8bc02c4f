"""Small classification data sets for the training core.

``load(name, seed)`` returns a :class:`Dataset` with a fixed, seeded, stratified
train/test split. The UCI handwritten digits come from scikit-learn's bundled copy
(no network access; scikit-learn is the optional extra ``pip install 'derive[data]'``).
The synthetic sets are made here with NumPy alone, so they are the same on every
machine and need nothing beyond the core dependencies:

- ``xor``: four Gaussian blobs at the corners of a square; opposite corners share a class.
- ``circles``: a small noisy ring inside a larger one.
- ``moons``: two interleaving noisy half circles.
- ``blobs``: two Gaussian blobs that a straight line separates (points that would
  cross the margin are redrawn, so the pair is linearly separable by construction).

>>> d = load("xor", seed=0)
>>> d.X_train.shape, d.X_test.shape, d.n_classes
((300, 2), (100, 2), 2)
>>> load("xor", seed=0).X_train[0].tolist() == d.X_train[0].tolist()
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from derive.errors import DeriveError

NAMES = ("digits", "xor", "circles", "moons", "blobs")
#: Points per synthetic set (split into train and test).
N_SYNTHETIC = 400


class DataError(DeriveError, ValueError):
    """A data problem; ``str(err)`` is a one-line message for the user."""


@dataclass
class Dataset:
    name: str
    X_train: np.ndarray  # (n_train, n_features) float64
    y_train: np.ndarray  # (n_train,) int64 class labels 0 .. n_classes - 1
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    n_features: int

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={len(self.y_train)}, test={len(self.y_test)}, "
            f"features={self.n_features}, classes={self.n_classes})"
        )


def load(name: str, seed: int = 0, test_fraction: float = 0.25) -> Dataset:
    """The data set ``name`` (one of :data:`NAMES`), split into train and test.

    The split is stratified (every class keeps its share in both parts) and depends
    only on ``seed``; for the synthetic sets ``seed`` also draws the points.
    """
    if name not in NAMES:
        raise DataError(f"unknown data set {name!r} (choose from {', '.join(NAMES)})")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise DataError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed must be a whole number >= 0, got {seed!r}")
    # Separate streams for drawing the points and for the split: changing one never
    # shifts the other.
    draw, split = (np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(2))
    if name == "digits":
        X, y = _digits()
    else:
        X, y = _SYNTHETIC[name](draw, N_SYNTHETIC)
    train, test = stratified_split(y, test_fraction, split)
    n_classes = int(y.max()) + 1
    return Dataset(name, X[train], y[train], X[test], y[test], n_classes, X.shape[1])


def stratified_split(y: np.ndarray, test_fraction: float, rng: np.random.Generator):
    """Index arrays (train, test): each class contributes round(test_fraction * its
    count) test samples (at least one, and at least one left for training); both index
    arrays are shuffled, so the classes are mixed."""
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        if len(idx) < 2:
            raise DataError(f"class {c} has {len(idx)} sample; a split needs at least 2")
        k = min(max(int(round(test_fraction * len(idx))), 1), len(idx) - 1)
        test.append(idx[:k])
        train.append(idx[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError("the digits need scikit-learn: pip install 'derive[data]'") from None
    d = load_digits()  # 1797 8x8 images, pixel values 0..16, bundled with scikit-learn
    return np.asarray(d.data, dtype=np.float64) / 16.0, np.asarray(d.target, dtype=np.int64)


def _labels(n: int, k: int = 2) -> np.ndarray:
    """n labels, as balanced as possible over k classes."""
    return np.arange(n, dtype=np.int64) % k


def _xor(rng, n):
    corner = np.arange(n) % 4
    signs = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float)
    X = signs[corner] + rng.normal(0.0, 0.45, (n, 2))
    return X, (corner >= 2).astype(np.int64)  # (+,+) and (-,-) are class 0


def _circles(rng, n):
    y = _labels(n)
    angle = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.where(y == 0, 1.0, 0.5)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return X + rng.normal(0.0, 0.1, (n, 2)), y


def _moons(rng, n):
    y = _labels(n)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where(y[:, None] == 0, upper, lower)
    return X + rng.normal(0.0, 0.2, (n, 2)), y


def _blobs(rng, n, margin=0.25):
    y = _labels(n)
    centres = np.array([[-1.5, -1.0], [1.5, 1.0]])
    axis = (centres[1] - centres[0]) / np.linalg.norm(centres[1] - centres[0])
    X = np.empty((n, 2))
    todo = np.arange(n)
    while len(todo):  # redraw points on the wrong side of the margin: separable by construction
        X[todo] = centres[y[todo]] + rng.normal(0.0, 0.7, (len(todo), 2))
        side = (X[todo] @ axis) * np.where(y[todo] == 1, 1.0, -1.0)
        todo = todo[side < margin]
    return X, y


_SYNTHETIC = {"xor": _xor, "circles": _circles, "moons": _moons, "blobs": _blobs}
