"""``derive examples``: the built-in example specs, one line each (its name, the network or
graph, the loss, and its title: what it shows), for ``derive walkthrough NAME`` and
``derive new FILE --from NAME``."""

from __future__ import annotations

import sys

from derive.cli.common import builtin_examples

HELP = "list the built-in example specs (use a name wherever a SPEC is asked)"


def add_arguments(e) -> None:
    e.set_defaults()


def shape(spec) -> str:
    """A spec's network in a few words: ``4-2-1 sigmoid, half-sse`` (an expression graph:
    ``expression graph, 8 nodes``).

    >>> from derive.model.expression import load_any
    >>> shape(load_any("worked/four.yaml")), shape(load_any("worked/expression.yaml"))
    ('4-2-1 sigmoid, half-sse', 'expression graph, 2 nodes')
    """
    if spec.kind == "expression":
        return f"expression graph, {len(spec.nodes)} nodes"
    sizes = "-".join(str(n) for n in [len(spec.inputs)] + [layer.size for layer in spec.layers])
    acts = "/".join(dict.fromkeys(layer.activation for layer in spec.layers))
    return f"{sizes} {acts}, " + ("no loss" if spec.loss == "none" else spec.loss)


def run(args) -> int:
    from derive.model.expression import load_any

    rows = []
    for name, path in sorted(builtin_examples().items()):
        spec = load_any(path)
        rows.append((name, shape(spec), spec.title))
    wide = [max(len(r[i]) for r in rows) for i in range(2)]
    for name, what, title in rows:
        sys.stdout.write(f"{name:<{wide[0]}}  {what:<{wide[1]}}  {title}\n")
    return 0
