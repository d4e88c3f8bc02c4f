"""Reading YAML and JSON so that every number keeps how it was written.

PyYAML turns ``-0.1360`` into the float -0.136 and the four places are gone. The
:class:`NumberLoader` is ``yaml.safe_load``'s loader with two changes: a key given twice in
one mapping is an error, and a plain (unquoted) number becomes a
:class:`~derive.model.numbers.Number` read from its own source text. Quoted numbers stay
text, as in YAML, and are read by whoever validates the field. :func:`read_json` does the
same for JSON through ``json.loads``'s number hooks. Spec files are read here too, with
every problem a one-line :class:`SpecError`.

>>> data = read_yaml("published: {values: {delta_o1: -0.1360}}\\nloss: 0.1000\\n")
>>> data["published"]["values"]["delta_o1"]
Number(value=-17/125, places=4, text='-0.1360')
>>> str(data["loss"]), read_json('{"out_h1": 0.5930}')["out_h1"].places
('0.1000', 4)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import sympy as sp
import yaml

from derive.errors import DeriveError, one_line
from derive.model.limits import SPEC_BYTES, YAML_NODES, text_problem
from derive.model.numbers import Number, NumberError, scan_number
from derive.model.yaml_words import explain

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_ANSWER_DEPTH",
    "MAX_ANSWER_NODES",
    "LimitError",
    "check_values",
    "NumberLoader",
    "SpecError",
    "SpecLoader",
    "parse_spec",
    "read_answers",
    "read_bounded",
    "read_json",
    "read_spec_file",
    "read_yaml",
]

_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")


class SpecError(DeriveError, ValueError):
    """A spec problem; ``str(err)`` is the one-line message for the user."""

    def __init__(self, source: str, where: str, what: str):
        self.source, self.where, self.what = source, where, what
        msg = f"{source}: {where}: {what}" if where else f"{source}: {what}"
        super().__init__(one_line(msg))


class SpecErrors(SpecError):
    """Several faults of one spec, found in one run: ``lines()`` gives one line each (at most
    ``most``, then how many more), ``str()`` the first."""

    def __init__(self, errors: list[SpecError], most: int = 10):
        first = errors[0]
        super().__init__(first.source, first.where, first.what)
        self.errors, self.most = errors, most

    def lines(self) -> list[str]:
        shown = [str(e) for e in self.errors[: self.most]]
        more = len(self.errors) - len(shown)
        return shown + ([f"{self.source}: and {more} more fault{'s' if more > 1 else ''}"] if more else [])


def _scan(text: str) -> Number | None:
    try:
        return scan_number(text)
    except NumberError:  # beyond the reader's caps: YAML's own reading decides
        return None


class NumberLoader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader, except that a key given twice in one mapping is an
    error (YAML forbids it; PyYAML silently keeps the last value), and plain numbers are
    :class:`Number` objects that keep their source text."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"found duplicate key {key!r}", key_node.start_mark
                        )
                    seen.add(key)
                except TypeError:  # unhashable key: SafeConstructor reports it
                    pass
        return super().construct_mapping(node, deep)

    def construct_number_int(self, node):
        """A YAML integer. Decimal digits are read as written; YAML 1.1's other forms
        (0x1F, 0o17, 017, 1_000, 1:30) keep YAML's value and are written in plain digits."""
        n = _scan(node.value) if _PLAIN_INT.match(node.value) else None
        if n is not None:
            return n
        v = self.construct_yaml_int(node)
        return Number(sp.Integer(v), 0, str(v))

    def construct_number_float(self, node):
        """A YAML float, read from its text (1_000.5 without the underscores). .inf, .nan,
        1:30.5 and literals beyond the reader's caps stay Python floats."""
        n = _scan(node.value.replace("_", ""))
        return n if n is not None else self.construct_yaml_float(node)


NumberLoader.add_constructor("tag:yaml.org,2002:int", NumberLoader.construct_number_int)
NumberLoader.add_constructor("tag:yaml.org,2002:float", NumberLoader.construct_number_float)


def read_yaml(text: str):
    """YAML text as Python data, plain numbers as :class:`Number` (yaml.YAMLError,
    ValueError or RecursionError on malformed input)."""
    return yaml.load(text, Loader=NumberLoader)  # noqa: S506 -- a SafeLoader subclass


def _json_number(text: str):
    n = _scan(text)
    return n if n is not None else float(text)  # beyond the caps: a float (maybe inf)


def read_json(text: str):
    """JSON text as Python data, numbers as :class:`Number` (ValueError when malformed)."""
    return json.loads(text, parse_float=_json_number, parse_int=_json_number)


# --------------------------------------------------------------------------- answers files

#: Bounds on a student's answers file, a flat ``step: answer`` mapping of a few dozen
#: entries a few KB long: its bytes, its levels of nesting and its values (every mapping,
#: list, key and scalar). A file beyond one is not read (README: "Checking homework").
MAX_ANSWER_BYTES = 256 * 1024
MAX_ANSWER_DEPTH = 10
MAX_ANSWER_NODES = 10_000

_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class LimitError(ValueError):
    """Input beyond a bound of :func:`read_answers` or :func:`read_bounded`; ``str(err)``
    is a short reason (``too deeply nested (more than 10 levels)``)."""


def _too_deep() -> LimitError:
    return LimitError(f"too deeply nested (more than {MAX_ANSWER_DEPTH} levels)")


def _too_many() -> LimitError:
    return LimitError(f"too many values (more than {MAX_ANSWER_NODES})")


class AnswersLoader(NumberLoader):
    """The :class:`NumberLoader` for a student's file: no anchors or aliases (a few
    hundred bytes of nested aliases stand for billions of values), at most
    :data:`MAX_ANSWER_DEPTH` levels and :data:`MAX_ANSWER_NODES` values, each checked
    while the file is parsed, before anything is built."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = self.nodes = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            where = f" (line {event.start_mark.line + 1})" if event.start_mark else ""
            raise LimitError(f"YAML anchors and aliases (&name, *name) are not allowed in an answers file{where}")
        self.nodes += 1
        if self.nodes > MAX_ANSWER_NODES:
            raise _too_many()
        if self.depth >= MAX_ANSWER_DEPTH:
            raise _too_deep()
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _json_bounds(text: str) -> None:
    """LimitError when JSON text nests deeper than :data:`MAX_ANSWER_DEPTH`, found by a
    scan of its brackets outside strings (before ``json.loads`` recurses into them)."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_ANSWER_DEPTH:
                raise _too_deep()
        elif c in "]}":
            depth -= 1


def check_values(data) -> None:
    """LimitError when ``data`` holds more than :data:`MAX_ANSWER_NODES` values."""
    n, todo = 0, [data]
    while todo:
        x = todo.pop()
        n += 1
        if n > MAX_ANSWER_NODES:
            raise _too_many()
        if isinstance(x, dict):
            todo += [*x, *x.values()]
        elif isinstance(x, list):
            todo += x


def read_answers(text: str, is_json: bool = False):
    """A student's answers file (YAML, or JSON when ``is_json``) as :func:`read_yaml` and
    :func:`read_json` read it, within the bounds above: :class:`LimitError` beyond one
    (an alias, too deep, too many values); yaml.YAMLError or ValueError when malformed.

    >>> read_answers("net_h1: 0.3760\\n")["net_h1"].places
    4
    >>> read_answers("a: &x [1, 2]\\nb: *x\\n")
    Traceback (most recent call last):
        ...
    derive.model.load.LimitError: YAML anchors and aliases (&name, *name) are not allowed in an answers file (line 1)
    >>> read_answers("[" * 20 + "]" * 20, is_json=True)
    Traceback (most recent call last):
        ...
    derive.model.load.LimitError: too deeply nested (more than 10 levels)
    """
    if is_json:
        _json_bounds(text)
        data = read_json(text)
        check_values(data)
        return data
    return yaml.load(text, Loader=AnswersLoader)  # noqa: S506 -- a SafeLoader subclass


def read_bounded(path: Path, limit: int, regular_only: bool = True) -> bytes:
    """The bytes of the file at ``path``, read in chunks and never more than ``limit`` + 1
    of them: LimitError when it is larger, or (``regular_only``) not a regular file, such
    as a device or a pipe, which could be endless; OSError when it cannot be read."""
    if regular_only and not path.is_file():
        raise LimitError("not a regular file")
    chunks: list[bytes] = []
    size = 0
    with path.open("rb") as f:
        while size <= limit:
            chunk = f.read(min(1 << 16, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
    raise LimitError(f"too large (more than {limit // 1024} KB)")


# --------------------------------------------------------------------------- spec files


def read_spec_file(path: str | Path) -> str:
    """The text of the spec at ``path``, read in bounded chunks: a file (or a device such as
    /dev/zero) longer than :data:`~derive.model.limits.SPEC_BYTES` is refused at the limit,
    before it is parsed. A SpecError names what went wrong."""
    path = Path(path)
    try:
        data = read_bounded(path, SPEC_BYTES, regular_only=False)  # a pipe may hold a spec; /dev/zero stops here
    except FileNotFoundError:
        raise SpecError(str(path), "", "no such file") from None
    except IsADirectoryError:
        raise SpecError(str(path), "", "is a folder, not a spec file") from None
    except OSError as e:
        raise SpecError(str(path), "", f"cannot read ({e.strerror})") from None
    except LimitError:
        raise SpecError(str(path), "", f"larger than {SPEC_BYTES:,} bytes, the limit on a spec file") from None
    try:
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # (as text mode reads it)
    except UnicodeDecodeError:
        raise SpecError(str(path), "", "not UTF-8 text") from None


class _TooManyValues(yaml.YAMLError):
    """A spec with more YAML values than the limit (aliases counted at every use)."""


class SpecLoader(NumberLoader):
    """The :class:`NumberLoader` of spec files: it counts the YAML values as they are
    composed, an alias as every value it stands for, and stops past
    :data:`~derive.model.limits.YAML_NODES` (before a value is built). An alias inside the
    value it names (a structure that contains itself) is refused."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.values = 0
        self.sizes: dict[int, int] = {}  # id of a finished node -> the values it stands for

    def _count(self, n: int) -> None:
        self.values += n
        if self.values > YAML_NODES:
            raise _TooManyValues(f"more than {YAML_NODES:,} YAML values (an alias counts as every value it names)")

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self.sizes:
                raise yaml.composer.ComposerError(None, None, "an alias inside the value it names", node.start_mark)
            self._count(self.sizes[id(node)])
            return node
        before = self.values
        self._count(1)
        node = super().compose_node(parent, index)
        self.sizes[id(node)] = self.values - before
        return node


def parse_spec(text: str, source: str):
    """A spec's YAML as Python data (not yet validated); a SpecError when it is not YAML,
    exceeds the limits on size and values, or holds a character that text may not hold."""
    if len(text) > SPEC_BYTES or len(text.encode("utf-8", "surrogatepass")) > SPEC_BYTES:
        raise SpecError(source, "", f"larger than {SPEC_BYTES:,} bytes, the limit on a spec file")
    try:
        data = yaml.load(text, Loader=SpecLoader)  # noqa: S506 -- a SafeLoader subclass
    except _TooManyValues as e:
        raise SpecError(source, "", f"{e}, the limit on a spec") from None
    except yaml.YAMLError as e:
        raise SpecError(source, "", f"not valid YAML at {explain(e, text)}") from None
    except RecursionError:
        raise SpecError(source, "", "not valid YAML: nested too deeply") from None
    except (ValueError, OverflowError) as e:  # a tagged or oversized scalar, e.g. !!float abc
        msg = str(e)
        raise SpecError(source, "", f"not valid YAML: {msg if len(msg) <= 80 else msg[:77] + '...'}") from None
    if data is None:
        raise SpecError(source, "", "the file is empty")
    bad = text_problem(data)
    if bad:
        raise SpecError(source, *bad)
    return data
