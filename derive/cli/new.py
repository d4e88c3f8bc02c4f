"""``derive new FILE [--from four]``: a starting spec to edit, copied from a built-in example
with its comments, and ``spec.schema.json`` beside it (named on the spec's first line, so an
editor with a YAML language server completes and checks the fields as they are typed)."""

from __future__ import annotations

import sys
from pathlib import Path

from derive.cli.common import builtin_examples
from derive.errors import UsageError

HELP = "write a starting spec to edit (a copy of a built-in example) and its JSON Schema"
#: The first line of a spec that names its schema for editors.
SCHEMA_LINE = "# yaml-language-server: $schema=spec.schema.json\n"
SCHEMA_NAME = "spec.schema.json"


def add_arguments(n) -> None:
    n.add_argument("file", help="the spec to write (refused if it exists)")
    n.add_argument("--from", dest="source", default="four", help="the built-in example to start from (default four)")


def starting_text(name: str) -> str:
    """The text of built-in example ``name`` with the schema line first (once).

    >>> starting_text("four").splitlines()[0]
    '# yaml-language-server: $schema=spec.schema.json'
    """
    examples = builtin_examples()
    if name not in examples:
        raise UsageError(f"--from: no built-in example {name!r} (examples: {', '.join(sorted(examples))})")
    text = examples[name].read_text(encoding="utf-8")
    text = text[len(SCHEMA_LINE) :] if text.startswith(SCHEMA_LINE) else text
    return SCHEMA_LINE + commented(text)


def commented(text: str) -> str:
    """The spec's text with a comment above each top-level field saying what it is (the
    field table's own words, :mod:`derive.model.fields`), unless one is there already.

    >>> print(commented("steps: 3\\n"), end="")
    # steps: how many updates (N > 1 adds the loss over N steps)
    steps: 3
    """
    from derive.model.expression_fields import EXPRESSION
    from derive.model.fields import TOP

    table = EXPRESSION if "\nkind: expression" in "\n" + text else TOP
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        key = line.split(":", 1)[0] if line[:1].isalpha() and ":" in line else None
        f = table.fields.get(key) if key else None
        doc = f and (f.doc or getattr(f.rule, "doc", ""))
        if doc and not (out and out[-1].startswith("#")):
            out.append(f"# {key}: {doc}\n")
        out.append(line)
    return "".join(out)


def schema_text() -> str:
    """The JSON Schema of a spec, as ``derive schema`` prints it and editors read it."""
    import json

    from derive.model.schema import spec_schema

    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"


def run(args) -> int:
    from derive.files import write_files

    path = Path(args.file)
    if path.exists():
        raise UsageError(f"{path}: already exists; choose another name (derive new never overwrites)")
    files = {path.name: starting_text(args.source)}
    schema = path.parent / SCHEMA_NAME
    if not schema.exists():
        files[SCHEMA_NAME] = schema_text()
    write_files(path.parent, files)
    sys.stdout.write(
        f"wrote {path} (from the example {args.source})"
        + (f" and {schema}" if SCHEMA_NAME in files else "")
        + f"; edit it, then: derive walkthrough {path}\n"
    )
    return 0
