"""Figures: every kind renders in every format it supports, reruns are byte-identical, and
the pictures tell the truth (the surface's paths end in two different minima, the linear
network fails on XOR where the tanh one succeeds, the comparison title names the winner)."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import derive.figures as figures
from derive.figures import KINDS, FigureError, boundary, curves, figure, tangent
from derive.figures.base import load_matplotlib
from derive.train import History

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# figsize (inches) of each kind times the still dpi
PNG_SIZE = {"tangent": (1080, 540), "surface": (1260, 576), "boundary": (1008, 600), "curves": (1080, 480)}

H_CE = History(
    loss=[2.2, 1.1, 0.6, 0.4], train_accuracy=[0.5, 0.8, 0.9, 0.95], test_accuracy=[0.45, 0.78, 0.88, 0.93], seconds=0.1
)
H_SE = History(
    loss=[0.45, 0.2, 0.15, 0.12],
    train_accuracy=[0.2, 0.3, 0.38, 0.41],
    test_accuracy=[0.18, 0.29, 0.36, 0.40],
    seconds=0.1,
)


def _args(kind):
    return {"history": H_CE} if kind == "curves" else {}


def _unwrap(title: str) -> str:
    return " ".join(title.split())  # long titles are wrapped onto two lines


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --------------------------------------------------------------------------- formats


def test_kinds():
    assert KINDS == ("tangent", "surface", "boundary", "curves")


@pytest.mark.parametrize("kind", KINDS)
def test_png(kind, tmp_path):
    out = figure(kind, tmp_path / f"{kind}.png", **_args(kind))
    assert out == tmp_path / f"{kind}.png"
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert _png_size(data) == PNG_SIZE[kind]
    assert b"Software" not in data  # metadata stripped: no version stamp
    with Image.open(out) as im:  # a whole image, not just a header
        im.load()
        assert len(im.getcolors(1 << 24)) > 50  # a picture, not a blank page
    assert [p.name for p in tmp_path.iterdir()] == [f"{kind}.png"]  # no temporary file left


@pytest.mark.parametrize("kind", KINDS)
def test_svg_and_pdf(kind, tmp_path):
    svg = figure(kind, tmp_path / "f.SVG", **_args(kind)).read_bytes()  # the suffix's case is ignored
    assert svg.startswith(b"<?xml") and b"<svg" in svg and svg.rstrip().endswith(b"</svg>")
    pdf = figure(kind, tmp_path / "f.pdf", **_args(kind)).read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"CreationDate" not in pdf


@pytest.mark.parametrize("kind, frames", [("tangent", 50), ("surface", 40)])
def test_gif(kind, frames, tmp_path):
    out = figure(kind, tmp_path / f"{kind}.gif")
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.n_frames == frames and im.n_frames > 10
        assert im.info.get("loop") == 0  # loops forever
        first = np.asarray(im.convert("RGB"))
        im.seek(im.n_frames // 2)
        middle = np.asarray(im.convert("RGB"))
    assert (first != middle).any()  # it moves


@pytest.mark.parametrize("kind", ["boundary", "curves"])
def test_still_kinds_refuse_gif(kind, tmp_path):
    with pytest.raises(FigureError, match=r"\.png, \.svg, \.pdf, not '\.gif'"):
        figure(kind, tmp_path / "x.gif", **_args(kind))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_reruns_are_byte_identical(kind, fmt, tmp_path):
    a = figure(kind, tmp_path / f"a.{fmt}", **_args(kind)).read_bytes()
    b = figure(kind, tmp_path / f"b.{fmt}", **_args(kind)).read_bytes()
    assert a == b


def test_rerun_replaces_the_file(tmp_path):
    out = tmp_path / "t.png"
    out.write_bytes(b"old")
    figure("tangent", out)
    assert out.read_bytes()[:8] == PNG_SIGNATURE


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "name, match",
    [
        ("picture.jpg", r"tangent figure can be written as \.png, \.svg, \.pdf, \.gif, not '\.jpg'"),
        ("picture", "not no suffix"),
    ],
)
def test_bad_suffix(tmp_path, name, match):
    with pytest.raises(FigureError, match=match):
        figure("tangent", tmp_path / name)


def test_unknown_kind(tmp_path):
    with pytest.raises(FigureError, match="unknown figure kind 'histogram'; choose one of: tangent, surface"):
        figure("histogram", tmp_path / "h.png")


def test_unknown_option(tmp_path):
    with pytest.raises(FigureError, match=r"unknown option\(s\) for tangent: colour \(allowed: lr, starts, steps\)"):
        figure("tangent", tmp_path / "t.png", colour="red")


@pytest.mark.parametrize(
    "opts, match",
    [
        ({"lr": -1}, "lr must be between"),
        ({"lr": "fast"}, "lr must be a number"),
        ({"steps": 2.5}, "steps must be a whole number"),
        ({"starts": (9.0,)}, "start must be between"),
    ],
)
def test_bad_tangent_options(tmp_path, opts, match):
    with pytest.raises(FigureError, match=match):
        figure("tangent", tmp_path / "t.png", **opts)


def test_missing_folder(tmp_path):
    with pytest.raises(FigureError, match="does not exist"):
        figure("tangent", tmp_path / "nowhere" / "t.png")


def test_history_only_for_curves(tmp_path):
    with pytest.raises(FigureError, match="for the curves figure, not tangent"):
        figure("tangent", tmp_path / "t.png", history=H_CE)


def test_missing_matplotlib(tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)  # makes "import matplotlib" fail
    with pytest.raises(FigureError) as err:
        figure("tangent", tmp_path / "t.png")
    assert str(err.value) == "figures need matplotlib: pip install 'derive[plots]'"
    assert "\n" not in str(err.value)
    assert not list(tmp_path.iterdir())


def test_importing_the_package_leaves_matplotlib_and_training_alone():
    # matplotlib is an optional extra: it is imported when a figure is drawn, not before; the
    # training core when a boundary figure trains its networks
    code = (
        "import sys, derive.figures; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'mpl_toolkits', 'PIL') "
        "or m.startswith('derive.train')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(figures.__file__).parents[2]
    )
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- tangent


def test_slope_is_the_derivative():
    x = np.linspace(-2, 4, 61)
    h = 1e-6
    fd = (figures.cost_1d(x + h) - figures.cost_1d(x - h)) / (2 * h)
    assert np.allclose(figures.slope_1d(x), fd, atol=1e-7)


def test_tangent_iterates_reach_the_minimum_from_both_sides():
    xstar = figures.minimum_1d()
    assert abs(figures.slope_1d(xstar)) < 1e-12
    grid = np.linspace(-2, 4, 60001)
    assert abs(grid[np.argmin(figures.cost_1d(grid))] - xstar) < 1e-3  # the only minimum
    for start in figures.TANGENT_STARTS:
        xs = figures.tangent_iterates(start)
        assert abs(xs[-1] - xstar) < 0.05
        assert np.all(np.diff(figures.cost_1d(xs)) < 0)  # every step goes down
    # the left run sees negative slopes (blue), the right run positive ones (red)
    left, right = (figures.tangent_iterates(s) for s in figures.TANGENT_STARTS)
    assert tangent._slope_colour(figures.slope_1d(left[0])) == figures.NEGATIVE
    assert tangent._slope_colour(figures.slope_1d(right[0])) == figures.POSITIVE
    assert tangent._slope_colour(figures.slope_1d(right[-1])) == figures.FLAT


# --------------------------------------------------------------------------- surface


def test_gradient_2d_is_the_derivative():
    rng = np.random.default_rng(0)
    h = 1e-6
    for x, y in rng.uniform(-3, 3, (20, 2)):
        gx, gy = figures.grad_2d(x, y)
        assert gx == pytest.approx((figures.cost_2d(x + h, y) - figures.cost_2d(x - h, y)) / (2 * h), abs=1e-7)
        assert gy == pytest.approx((figures.cost_2d(x, y + h) - figures.cost_2d(x, y - h)) / (2 * h), abs=1e-7)


def test_surface_paths_end_in_two_different_minima():
    paths, minima = figures.surface_paths()
    assert len(paths) >= 3
    assert set(minima) == {"global", "local"}
    g, loc = minima["global"], minima["local"]
    assert g.cost < loc.cost
    assert np.hypot(g.x - loc.x, g.y - loc.y) > 1.0
    ends = {p.minimum for p in paths}
    assert ends == {"global", "local"}
    for p in paths:
        m = minima[p.minimum]
        assert np.hypot(p.points[-1, 0] - m.x, p.points[-1, 1] - m.y) < 0.01
        assert np.allclose(p.points[0], p.start)
        costs = figures.cost_2d(p.points[:, 0], p.points[:, 1])
        assert np.all(np.diff(costs) <= 1e-12)  # downhill all the way
    # the global minimum is the lowest point of the picture
    grid = np.linspace(-3, 3, 301)
    gx, gy = np.meshgrid(grid, grid)
    assert figures.cost_2d(gx, gy).min() >= g.cost - 1e-12


def test_surface_path_check_can_fail():
    # a start inside the global well never visits the local one, and two steps reach nothing
    paths, _ = figures.surface_paths(starts=((1.0, 1.0),))
    assert [p.minimum for p in paths] == ["global"]
    paths, _ = figures.surface_paths(starts=((2.7, -2.4),), steps=2)
    assert [p.minimum for p in paths] == [None]


def test_surface_with_custom_starts_renders(tmp_path):
    out = figure("surface", tmp_path / "s.png", starts=((1.0, 1.0), (-2.0, -2.0)))
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    with pytest.raises(FigureError, match="pairs of numbers"):
        figure("surface", tmp_path / "s.png", starts=(1.0, 2.0))


# --------------------------------------------------------------------------- boundary


@pytest.mark.parametrize("dataset", ["xor", "circles"])
def test_boundary_linear_fails_nonlinear_succeeds(dataset):
    data, (lin, non) = figures.boundary_models(dataset)
    assert (lin.activation, non.activation) == ("identity", "tanh")
    assert lin.network.sizes == non.network.sizes  # same network
    assert lin.test_accuracy < 0.7
    assert non.test_accuracy > 0.9
    assert non.test_accuracy == pytest.approx(non.network.accuracy(data.X_test, data.y_test))


def test_boundary_titles_state_the_accuracies():
    fig = boundary.draw(load_matplotlib(), "xor", 0)
    _, (lin, non) = figures.boundary_models("xor")
    titles = [ax.get_title() for ax in fig.axes]
    assert f"test accuracy {lin.test_accuracy:.2f}" in titles[0] and "identity" in titles[0]
    assert f"test accuracy {non.test_accuracy:.2f}" in titles[1] and "tanh" in titles[1]
    assert "only tanh separates the classes" in _unwrap(fig.get_suptitle())


def test_boundary_needs_two_features(tmp_path):
    with pytest.raises(FigureError, match="2 features"):
        figure("boundary", tmp_path / "b.png", dataset="digits")
    with pytest.raises(FigureError, match="unknown data set 'spiral'"):
        figure("boundary", tmp_path / "b.png", dataset="spiral")


# --------------------------------------------------------------------------- curves


def test_history_series_accepts_history_and_both_dict_spellings():
    summary = {
        "loss_history": H_CE.loss,
        "train_accuracy_history": H_CE.train_accuracy,
        "test_accuracy_history": H_CE.test_accuracy,
        "seconds": 1.0,
    }
    fields = {"loss": H_CE.loss, "train_accuracy": H_CE.train_accuracy, "test_accuracy": H_CE.test_accuracy}
    expected = {"loss": H_CE.loss, "train": H_CE.train_accuracy, "test": H_CE.test_accuracy}
    assert figures.history_series(H_CE) == expected
    assert figures.history_series(summary) == expected
    assert figures.history_series(fields) == expected


@pytest.mark.parametrize(
    "bad, match",
    [
        ({}, "no loss values"),
        ({"loss_history": [1.0, float("nan")]}, "not finite"),
        ({"loss_history": "abc"}, "list of numbers"),
    ],
)
def test_bad_history(tmp_path, bad, match):
    with pytest.raises(FigureError, match=match):
        figure("curves", tmp_path / "c.png", history=bad)


def test_curves_needs_exactly_one_of_history_and_histories(tmp_path):
    with pytest.raises(FigureError, match="history="):
        figure("curves", tmp_path / "c.png")
    with pytest.raises(FigureError, match="not both"):
        figure("curves", tmp_path / "c.png", history=H_CE, histories={"a": H_SE})


def test_compare_title_names_the_winner_with_numbers():
    fig = curves.draw(load_matplotlib(), None, {"mse": H_SE, "cross-entropy": H_CE})
    title = _unwrap(fig.get_suptitle())
    assert title == (
        "cross-entropy reached the higher final test accuracy: 0.930 vs 0.400 (squared error), "
        "53.0 percentage points higher"
    )
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "squared error: test" in legend and "cross-entropy: test" in legend
    # both runs are drawn on the same axes
    assert len(fig.axes) == 2 and len(fig.axes[1].get_lines()) == 4


def test_compare_title_other_winner_and_tie():
    s = {"loss": [1.0]}
    assert figures.compare_title({"a": {**s, "test": [0.5]}, "b": {**s, "test": [0.7]}}).startswith(
        "b reached the higher final test accuracy: 0.700 vs 0.500 (a), 20.0 percentage points higher"
    )
    assert figures.compare_title({"a": {**s, "test": [0.5]}, "b": {**s, "test": [0.5]}}) == (
        "a and b reached the same final test accuracy: 0.500"
    )


def test_single_curves_title_and_epochs():
    fig = curves.draw(load_matplotlib(), H_CE, None)
    assert _unwrap(fig.get_suptitle()) == "training loss and accuracy per epoch: final test accuracy 0.930"
    loss_line = fig.axes[0].get_lines()[0]
    assert list(loss_line.get_xdata()) == [1, 2, 3, 4]
    assert list(loss_line.get_ydata()) == H_CE.loss


def test_curves_from_real_training(tmp_path):
    from derive.train import TrainOptions, train
    from derive.train.datasets import load

    data = load("xor")
    _, hist = train(data, TrainOptions(hidden=(4,), activation="tanh", epochs=5, optimizer="adam", lr=0.01))
    out = figure("curves", tmp_path / "c.png", histories={"mse": hist, "cross-entropy": hist})
    assert _png_size(out.read_bytes()) == PNG_SIZE["curves"]
