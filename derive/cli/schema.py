"""``derive schema``: the JSON Schema of a spec (network or expression), generated from the
one declared field table (:mod:`derive.model.fields`); editors use it to complete and check
fields. The checks between fields (a row count matching a layer size) are the validator's."""

from __future__ import annotations

import sys

HELP = "print the JSON Schema of a spec (for editors; derive new writes it beside a spec)"


def add_arguments(s) -> None:
    s.set_defaults()


def run(args) -> int:
    from derive.cli.new import schema_text

    sys.stdout.write(schema_text())
    return 0
