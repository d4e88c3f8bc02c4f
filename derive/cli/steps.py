"""``derive steps SPEC``: every step id of a spec with what it is, its symbol and its value:
the ids that ``--blanks``, ``--given``, ``--points`` and answer files use."""

from __future__ import annotations

import sys

from derive.cli.common import resolve_spec

HELP = "list every step id of a spec, with what it is, its symbol and its value"


def add_arguments(s) -> None:
    s.add_argument("spec", help="a spec file, or the name of a built-in example")
    s.add_argument("--format", choices=("text", "md"), default="text", help="md: a table whose symbols render as math")


def rows(graph) -> list[tuple[str, str, str, str]]:
    """(id, what it is, its LaTeX symbol, its value at the spec's places) for every step.

    >>> from derive.model.expression import load_any
    >>> from derive.teach.worksheet import derive_any
    >>> rows(derive_any(load_any("worked/four.yaml")))[2]
    ('out_h1', 'the output of h1', '\\\\mathrm{out}_{h1}', '0.5929')
    """
    from derive.present.expression import symbols_of
    from derive.present.numbers import fmt
    from derive.teach.worksheet import describe

    names = symbols_of(graph)
    d = graph.spec.decimals
    return [(st.id, describe(graph.spec, st), names[st.symbol], fmt(st.value, d)) for st in graph]


def run(args) -> int:
    from derive.cli.walkthrough import extreme_numbers
    from derive.model.expression import load_any
    from derive.teach.worksheet import derive_any

    path = resolve_spec(args.spec)
    spec = load_any(path)
    with extreme_numbers(path.name):
        table = rows(derive_any(spec))
    if args.format == "md":
        out = ["| step id | what it is | symbol | value |", "| --- | --- | --- | --- |"]
        out += [f"| `{i}` | {what} | ${tex}$ | {v} |" for i, what, tex, v in table]
    else:
        wide = [max(len(r[k]) for r in table) for k in range(2)]
        out = [f"{i:<{wide[0]}}  {v:>12}  {what:<{wide[1]}}  {tex}" for i, what, tex, v in table]
    sys.stdout.write("\n".join(out) + "\n")
    return 0
