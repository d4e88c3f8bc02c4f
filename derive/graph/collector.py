"""Python's cyclic garbage collector, paused while a large graph is made or checked.

A step graph is tens of thousands of small objects without reference cycles (steps, their
recipes and deps, SymPy numbers and their mpmath tuples). While they are being made the
collector would rescan the growing heap again and again (a quarter of the time of a large
graph), and the first collection after it resumes would still walk every one of them once
(50 ms for 300 000 objects), only to find what reference counting frees anyway. So the
collector is paused for the work, and on leaving, what was made is handed to the oldest
generation at once (``gc.freeze()`` then ``gc.unfreeze()``: two list splices, no walk), where
it would have ended up after surviving two collections. The next full collection still
examines it; nothing is exempt from collection for longer than that.

The hand-over is skipped when the program has frozen objects of its own (``gc.freeze()`` is
how pre-forking servers share memory, and ``unfreeze`` would undo that), and pauses nest:
only the outermost one resumes the collector.

>>> import gc
>>> with paused_collector():
...     gc.isenabled()
False
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused_collector():
    """Pause the cyclic collector for the block; see the module's docstring."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
