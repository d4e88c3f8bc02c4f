"""``derive page SPEC``: one self-contained HTML page (Explore and Practise) that works
offline; ``--watch`` serves it on 127.0.0.1 and reloads it whenever the spec is saved."""

from __future__ import annotations

import sys
from pathlib import Path

from derive.cli.common import count, resolve_spec
from derive.errors import UsageError

HELP = "a self-contained web page: explore the steps, practise (--watch: a live preview)"


def add_arguments(p) -> None:
    p.add_argument("spec", help="a spec file, or the name of a built-in example (four, ...)")
    p.add_argument("-o", "--output", help="write to this file (FILE.html) instead of standard output")
    p.add_argument("--variants", type=count, default=1, help="practise variants (0: the spec's own numbers)")
    p.add_argument("--seed", type=count, default=0, help="seed of the variants (the page carries their keys)")
    p.add_argument("--blanks", help="the steps practise asks: groups forward,loss,backward,update or step ids")
    p.add_argument("--watch", action="store_true", help="serve the page on 127.0.0.1, reloading it on every save")
    p.add_argument("--port", type=count, default=8000, help="the --watch server's port (0: any free port)")


def build_page(spec_path: Path, args, watch: bool = False, version: int = 0) -> str:
    """The page of the spec at ``spec_path``; a DeriveError (one line) for bad input."""
    from derive.cli.walkthrough import extreme_numbers
    from derive.model.expression import load_any
    from derive.model.spec import SpecError
    from derive.present.expression import walkthrough_of
    from derive.present.page import page_html
    from derive.present.worksheet import make_worksheet
    from derive.teach.variants import VariantError
    from derive.teach.worksheet import variant_stem

    spec = load_any(spec_path)  # a network, or an expression graph (kind: expression)
    with extreme_numbers(spec.source):
        wt = walkthrough_of(spec)
        try:
            ws = make_worksheet(spec, variant_stem(spec_path), args.variants, args.seed, args.blanks)
        except VariantError as e:
            raise SpecError(spec.source, "", str(e)) from None
        return page_html(wt, ws, watch=watch, version=version)


def run(args) -> int:
    from derive.files import write_atomic

    spec_path = resolve_spec(args.spec)
    if args.watch:
        if args.output:
            raise UsageError("--watch serves the page and writes no file: leave out -o")
        from derive.cli.watch import serve

        return serve(spec_path, lambda version: build_page(spec_path, args, True, version), args.port)
    html = build_page(spec_path, args)
    if args.output:
        write_atomic(Path(args.output), html, protect=(spec_path,))
        print(f"wrote {args.output}; open it in a web browser (it works offline)")
    else:
        sys.stdout.write(html)
    return 0
