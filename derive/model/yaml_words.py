"""What a YAML parser's complaint means, in a teacher's words: a tab, a line indented
differently from its block, a colon without its space, a bracket left open or a comma left
out between the rows of a matrix. PyYAML's own wording ("expected <block end>, but found
'<block sequence start>'") is kept only where none of these fits.

>>> import yaml
>>> text = "network:\\n\\tinputs: 2\\n"
>>> try:
...     yaml.safe_load(text)
... except yaml.YAMLError as e:
...     print(explain(e, text))
line 2: a tab; indent with spaces, not tabs
"""

from __future__ import annotations

import re

__all__ = ["explain"]

_NO_SPACE = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*:[^\s/]")


def explain(e, text: str) -> str:
    """A one-line explanation of YAML error ``e`` in ``text``."""
    mark, ctx = getattr(e, "problem_mark", None), getattr(e, "context_mark", None)
    problem, context = getattr(e, "problem", None) or "malformed", getattr(e, "context", None) or ""
    if mark is None:
        return problem
    lines, at = text.splitlines(), mark.line + 1
    if "'\\t'" in problem:
        return f"line {at}: a tab; indent with spaces, not tabs"
    if problem.startswith(("mapping values are not allowed", "could not find expected ':'")):
        return _mapping_value(lines, at)
    if context.startswith("while parsing a block") and ctx is not None:
        return _misaligned(lines, at, ctx)
    if context.startswith("while parsing a flow") and ctx is not None:
        start = ctx.line + 1
        if "but got '['" in problem or "but got '{'" in problem:
            return (
                f"line {at}: a comma is missing between two rows of the list that starts at line {start} (write ], [)"
            )
        if at > start:
            return f"line {start}: a bracket opened here is not closed before line {at} (or a comma is missing)"
        return f"line {at}: expected a comma or a closing bracket in the list that starts at column {ctx.column + 1}"
    return f"line {at}: {problem}"


def _content(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _misaligned(lines: list[str], at: int, ctx) -> str:
    """A line whose indentation fits no open block: say where the entry above it of the same
    kind (a list item, or a key) sits, or where the block it ends sits."""
    line = lines[at - 1] if 0 < at <= len(lines) else ""
    item = line.lstrip().startswith("- ")
    for n in range(at - 1, 0, -1):
        above = lines[n - 1]
        if _content(above) and above.lstrip().startswith("- ") == item:
            if _indent(lines, n) != _indent(lines, at):
                what = "list entry" if item else "key"
                return (
                    f"line {at}: indented {_spaces(_indent(lines, at))}, but the {what} above it (line {n}) is at "
                    f"{_indent(lines, n)}; entries of one block line up"
                )
            break
    head = lines[ctx.line].strip() if ctx.line < len(lines) else ""
    return (
        f"line {at}: indented {_spaces(_indent(lines, at))}, but the block that starts at line {ctx.line + 1} "
        f"({head}) has its entries at {ctx.column} spaces; line up the entries of one block"
    )


def _spaces(n: int) -> str:
    return f"{n} space" + ("" if n == 1 else "s")


def _indent(lines: list[str], at: int) -> int:
    line = lines[at - 1] if 0 < at <= len(lines) else ""
    return len(line) - len(line.lstrip(" "))


def _mapping_value(lines: list[str], at: int) -> str:
    """ "mapping values are not allowed here": a colon without its space just before, or a
    key indented deeper than the key above it."""
    for n in (at - 2, at - 1, at):  # the line itself, or one of the two above it
        if 0 < n <= len(lines) and _NO_SPACE.match(lines[n - 1]):
            key = lines[n - 1].strip().split(":", 1)[0]
            return f"line {n}: put a space after the colon ({key}: ...)"
    above = next(
        (n for n in range(at - 1, 0, -1) if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")), 0
    )
    if above and _indent(lines, at) > _indent(lines, above):
        return (
            f"line {at}: indented {_spaces(_indent(lines, at))}, deeper than line {above} ({_indent(lines, above)}); "
            "keys of one block line up"
        )
    return f"line {at}: a key is not where YAML expects one (check the indentation and the colons)"
