"""The questions of a sheet: which steps are asked, in the order the sheet numbers them.

The question list is what a submission is marked against: it is the denominator (a
question left out scores 0 and is listed as missing) and it names the questions in
feedback (``Q3``). A key that is not a question is reported with the nearest step id.

>>> q = QuestionList(("net_h1", "out_h1"), ("net_h1", "out_h1", "net_o1"))
>>> q.number("out_h1"), q.nearest("out_h01")
(2, 'out_h1')
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class QuestionList:
    ids: tuple[str, ...]  # the steps asked, in question order: Q1 is ids[0]
    steps: tuple[str, ...]  # every step id of the network, in graph order

    def number(self, step_id: str) -> int | None:
        """The question number of a step (1-based), None when it is not asked."""
        try:
            return self.ids.index(step_id) + 1
        except ValueError:
            return None

    def nearest(self, key: str) -> str | None:
        """The step id closest to a key that is not one (a misspelling), if any is close:
        the same id but for case, look-alike characters (l or I for 1) or leading zeros
        first, then the closest spelling."""
        plain = _plain(key)
        for sid in self.ids + self.steps:
            if _plain(sid) == plain:
                return sid
        asked = difflib.get_close_matches(key, self.ids, n=1, cutoff=0.6)
        if asked:
            return asked[0]
        close = difflib.get_close_matches(key, self.steps, n=1, cutoff=0.6)
        return close[0] if close else None


_LOOKALIKE = str.maketrans({"l": "1", "I": "1", "|": "1"})


def _plain(key: str) -> str:
    """A key without the differences a typist makes: case, look-alikes, leading zeros."""
    key = key.translate(_LOOKALIKE).lower().replace("-", "_").replace(" ", "_")
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", key)
