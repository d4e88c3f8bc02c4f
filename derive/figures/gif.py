"""The animated figures' encoder: draw a figure again and again, keep each drawing as a frame,
and write the frames as one looping GIF with Pillow."""

from __future__ import annotations

import io

import numpy as np

GIF_DPI, GIF_MS = 90, 125  # GIF at 8 frames per second


class Frames:
    """Collects the frames of an animation and encodes them as a looping GIF (Pillow).

    >>> from derive.figures.base import load_matplotlib
    >>> mpl = load_matplotlib()
    >>> fig = mpl.new(1, 1)
    >>> frames = Frames(mpl, fig)
    >>> frames.grab(); frames.grab()
    >>> data = frames.gif()
    >>> data[:6], len(frames.frames)
    (b'GIF89a', 2)
    """

    def __init__(self, mpl, fig):
        self.mpl, self.fig, self.frames = mpl, fig, []
        fig.set_dpi(GIF_DPI)

    def grab(self):
        """Draw the figure as it is now and keep the drawing as the next frame."""
        canvas = self.fig.canvas
        canvas.draw()
        if not self.frames:  # fix the layout after the first frame: no jitter
            self.fig.set_layout_engine("none")
        rgb = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        self.frames.append(
            self.mpl.Image.fromarray(rgb).quantize(
                colors=255, method=self.mpl.Image.Quantize.FASTOCTREE, dither=self.mpl.Image.Dither.NONE
            )
        )
        # (fast octree keeps small patches of strong colour, such as a thin path; median cut
        # merges them into the surrounding gradient)

    def gif(self, hold_ms: int = 2000) -> bytes:
        """The frames as a GIF that loops forever, the last one held for ``hold_ms``."""
        buf = io.BytesIO()
        durations = [GIF_MS] * (len(self.frames) - 1) + [hold_ms]
        self.frames[0].save(
            buf, format="GIF", save_all=True, append_images=self.frames[1:], duration=durations, loop=0, optimize=False
        )
        return buf.getvalue()
