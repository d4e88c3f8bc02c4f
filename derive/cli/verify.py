"""``derive verify SPEC``: the three-way comparison table; exit status 1 on a disagreement."""

from __future__ import annotations

import sys

from derive.cli.common import resolve_spec

HELP = "print the three-way comparison table; exit 1 on disagreement"


def add_arguments(v) -> None:
    v.add_argument("spec", help="a spec file, or the name of a built-in example")


def verify_table(wt) -> str:
    from derive.verify.chains import RTOL_CHAIN
    from derive.verify.three_way import RTOL_FD, RTOL_HISTORY, RTOL_NUMPY

    r = wt.report
    # an expression graph's oracle is plain Python floats (derive/verify/expression_oracle.py)
    floats = "floats" if wt.spec.kind == "expression" else "NumPy"
    head = f"{'step':<22} {'SymPy':>22} {floats:>22} {'rel.diff':>9} {'finite diff':>22} {'rel.diff':>9}"
    lines = [head, "-" * len(head)]
    for row in r.rows:
        fd = "" if row.fd is None else f"{row.fd:22.15g}"
        rfd = "" if row.rel_fd is None else f"{row.rel_fd:9.1e}"
        exact = f"{row.sympy:22.15g}" if row.exact is None else f"{row.exact:>22}"
        rel = "not comp." if row.rel_numpy is None else f"{row.rel_numpy:9.1e}"
        lines.append(f"{row.id:<22} {exact} {row.numpy:22.15g} {rel:>9} {fd:>22} {rfd:>9}")
    lines.append("")
    lines.append(
        f"{r.n_values} values: SymPy vs {floats} max rel. diff {r.max_numpy[0]:.1e} ({r.max_numpy[1]}), "
        f"tolerance {RTOL_NUMPY:g}"
    )
    if r.n_gradients:
        lines.append(
            f"{r.n_gradients} gradients: vs finite differences max rel. diff {r.max_fd[0]:.1e} "
            f"({r.max_fd[1]}), tolerance {RTOL_FD:g}"
        )
    if r.n_chains:
        lines.append(
            f"{r.n_chains} chain-rule products: factors multiplied out vs the gradient, tolerance {RTOL_CHAIN:g}"
        )
    if wt.spec.kind == "network":  # (an expression graph has no training)
        lines.append(
            f"loss over {wt.spec.steps} step(s): step graph vs NumPy max rel. diff {r.max_history[0]:.1e}, "
            f"tolerance {RTOL_HISTORY:g}"
        )
    lines += r.notes
    if not r.ok:
        lines.append(f"NOT VERIFIED: {len(r.failures)} disagreement(s)")
    elif r.not_compared:
        n = len(r.not_compared)
        lines.append(
            f"checked: all three agree on the values float64 can hold; {n} {'was' if n == 1 else 'were'} not "
            "compared (beyond float64, see above)"
        )
    else:
        lines.append("verified: all three agree")
    lines += [f"  {f}" for f in r.failures]
    return "\n".join(lines) + "\n"


def run(args) -> int:
    from derive.cli.walkthrough import extreme_numbers
    from derive.model.expression import load_any
    from derive.present.expression import walkthrough_of

    spec = load_any(resolve_spec(args.spec))
    with extreme_numbers(spec.source):
        wt = walkthrough_of(spec, strict=False)
        sys.stdout.write(verify_table(wt))
    return 0 if wt.report.ok else 1
