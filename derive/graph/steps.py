"""The step graph: the one structure every output reads.

A :class:`Step` is one quantity a student computes: its stable id, the SymPy formula
that defines it in terms of earlier steps and the given numbers, and its value. A
step's value is a function of its dependencies' values only, so any step can be
recomputed from someone else's upstream answers (:meth:`StepGraph.recompute`).

Values are SymPy numbers: exact rationals while the arithmetic stays rational (the
inputs are decimals, so nets are exact), and 50-digit floats after a transcendental
function (sigma, tanh, exp, log).

Step ids (one sample): ``net_<node>``, ``out_<node>``, ``loss``, ``dloss_dout_<node>``,
``dout_dnet_<node>``, ``delta_<node>``, ``grad_<param>``, ``new_<param>``. With several
samples the per-sample steps end in ``_s1``, ``_s2``, ... (``net_h1_s2``, ``loss_s2``,
``grad_w1_s2``) and ``loss``, ``grad_<param>``, ``new_<param>`` are the batch values.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sympy as sp
from mpmath.libmp import finf, fnan, fninf

from derive.model.names import StepId

#: Working precision (decimal digits) of every non-rational value.
PRECISION = 50
#: The most digits a value near +-1 is carried with (see :func:`to_number`).
MAX_DIGITS = 4000


@dataclass(frozen=True)
class Factor:
    """One factor of a chain-rule path, d top / d bottom, as references into the graph:
    ``top`` and ``bottom`` are step ids (``loss``, ``out_h1``, ``net_o1``) or, at the end of
    a path, the parameter's name; ``value`` names the step or given number whose value the
    factor is (``dout_dnet_h1``, ``w5``, ``i1``), or is the constant 1 (d net / d bias)."""

    top: str
    bottom: str
    value: str | int


@dataclass(frozen=True)
class Given:
    """A given number's symbol: a ``parameter``, an ``input`` or a ``target`` (of one sample
    with several), or the learning ``rate``. ``subject`` is the parameter's or input's name,
    or the output node of a target."""

    name: str
    role: str
    subject: str
    sample: int | None = None


@dataclass
class Step:
    id: str
    kind: str                 # net | out | loss | dloss_dout | dout_dnet | delta | grad | new
    symbol: sp.Symbol
    formula: sp.Expr          # in the symbols of ``deps`` and of given quantities
    deps: tuple[str, ...]     # ids of the steps the formula reads
    layer: int | None = None  # index into spec.layers (net, out, dout_dnet, delta)
    node: int | None = None   # index of the node within its layer
    sample: int | None = None # 0-based sample index for per-sample steps
    param: str | None = None  # parameter name (grad, new)
    #: grad steps: the chain-rule paths from the loss to the parameter, each a tuple of
    #: :class:`Factor`; empty when there are more than builder.MAX_PATHS paths.
    chain: tuple = ()
    #: hidden deltas: the (weight, delta id) pairs of the next layer that the sum runs over.
    back: tuple = ()
    value: sp.Expr = None     # under the spec's carry policy (what the walkthrough shows)
    exact: sp.Expr = None     # with full precision carried
    sid: StepId = None        # the id's parts: kind, node or parameter, sample (None with one sample)


def to_number(v: sp.Expr) -> sp.Expr:
    """Collapse an evaluated formula to a SymPy number: rationals stay exact."""
    if v.is_Rational or v.is_Float:
        return v
    f = v.evalf(PRECISION)
    # bce's log(1 - out) and (1 - y)/(1 - out) need the gap 1 - out of a sigmoid near 1,
    # which 50 digits of out keep only in part (net ~ 100: 1 - out ~ 1e-44) or not at all
    # (net > ~115: out rounds to 1, and log(1 - out) would be log(0)). Carry enough digits
    # (about net / ln 10 more, up to a cap) that 1 - |value| keeps 40 digits of its own.
    digits = PRECISION
    while f.is_Float and digits < MAX_DIGITS:
        gap = abs(1 - abs(f))
        if not gap.is_zero and gap >= sp.Float(10) ** (PRECISION - 10 - digits):
            break
        digits = min(4 * digits, MAX_DIGITS)
        f = v.evalf(digits)
    if not f.is_number or not f.is_comparable:
        raise ArithmeticError(f"cannot evaluate {v} to a real number")
    return f


_SPECIAL = (finf, fninf, fnan)


def _finite(v) -> bool:
    return isinstance(v, sp.Rational) or isinstance(v, sp.Float) and v._mpf_ not in _SPECIAL


def _mul(vals: list) -> sp.Expr:
    """``Mul(*vals)`` for finite numbers, the way SymPy's Mul evaluates them: 1s dropped, a
    rational second factor moved first, then a left-to-right product."""
    vals = [v for v in vals if v is not sp.S.One]
    if len(vals) < 2:
        return vals[0] if vals else sp.S.One
    if len(vals) == 2 and vals[1].is_Rational:
        vals.reverse()
    coeff = sp.S.One
    for v in vals:
        coeff *= v
    return coeff


def _add(vals: list) -> sp.Expr:
    """``Add(*vals)`` for finite numbers, the way SymPy's Add evaluates them: 0s dropped,
    then a left-to-right sum."""
    vals = [v for v in vals if v is not sp.S.Zero]
    if len(vals) < 2:
        return vals[0] if vals else sp.S.Zero
    coeff = sp.S.Zero
    for v in vals:
        coeff += v
    return coeff


def _arith(e: sp.Expr, env: dict):
    """The value of ``e`` when it is sums and products of symbols (valued in ``env``) and
    numbers, or None. It is what ``e.xreplace(env)`` evaluates to, without building the
    expressions in between: a step is mostly a product or a sum, and this is most of the
    time of evaluating a graph. A sum or product none of whose arguments is replaced stays
    unevaluated under ``xreplace``, so it is left to it (None)."""
    if e.is_Symbol:
        v = env.get(e)
        return v if _finite(v) else None
    if not (e.is_Mul or e.is_Add):
        return None
    vals, replaced = [], False
    for a in e.args:
        if a.is_Number:
            if not _finite(a):
                return None
            vals.append(a)
            continue
        v = _arith(a, env)
        if v is None:
            return None
        vals.append(v)
        replaced = True
    if not replaced:
        return None
    return _mul(vals) if e.is_Mul else _add(vals)


def _value(formula: sp.Expr, env: dict) -> sp.Expr:
    v = _arith(formula, env)
    return to_number(formula.xreplace(env)) if v is None else v


def evaluate(formula: sp.Expr, env: dict) -> sp.Expr:
    """The value of ``formula`` with ``env`` (symbol -> number) substituted.

    >>> a, b = sp.symbols("a b")
    >>> evaluate(sp.Mul(a, b, evaluate=False), {a: sp.Rational(1, 2), b: sp.Rational(3, 10)})
    3/20
    """
    v = _value(formula, env)
    if v.is_Float and formula.is_Add and abs(v) < 1e-20:
        # A sum that cancels to within its rounding error, like 0.1 s + 0.2 s - 0.3 s for a
        # 50-digit s = sigma(0.3) (3e-52), is 0 as far as the working precision can tell;
        # its noise must not pick a side of a ReLU kink, so it is taken as exactly 0.
        scale = max(abs(_value(t, env)) for t in formula.args)
        if abs(v) <= scale * sp.Float(10) ** (5 - PRECISION):
            return sp.Integer(0)
    return v


def round_half_up(v: sp.Expr, decimals: int) -> sp.Rational:
    """Round to ``decimals`` places the way a calculator user does (ties away from zero)."""
    d = Decimal(str(sp.Float(v, PRECISION))) if not v.is_Rational else Decimal(v.p) / Decimal(v.q)
    return sp.Rational(str(d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)))


def fmt(v, decimals: int, as_given: bool = False) -> str:
    """The value as the walkthrough prints it: ``decimals`` places; tiny non-zero values
    keep ``decimals`` significant figures rather than printing as 0. With ``as_given``, an
    exact short decimal (a number from the spec, or a step whose exact value is one) is
    printed as it is, without padding zeros.

    >>> fmt(sp.Rational(1, 2), 3), fmt(sp.Rational(1, 2000), 3, as_given=True), fmt(sp.Rational(-1, 3), 3)
    ('0.500', '0.0005', '-0.333')
    """
    v = sp.sympify(v)
    if as_given and v.is_Rational and round_half_up(v, 15) == v:   # a short exact decimal
        d = Decimal(v.p) / Decimal(v.q)
        return f"{d.normalize():f}" if d != 0 else "0"
    r = round_half_up(v, decimals)
    if r == 0 and not v.is_zero:   # a Float 0 is != 0 in SymPy >= 1.13
        s = f"{float(v):.{max(decimals, 1) - 1}e}"
        mant, exp = s.split("e")
        return f"{mant} \\times 10^{{{int(exp)}}}"
    s = f"{Decimal(r.p) / Decimal(r.q):.{decimals}f}"
    return "0" + s[2:] if s.startswith("-0") and r == 0 else s


class StepGraph:
    """An ordered list of steps plus the given numbers they start from. It holds numbers and
    references only: how a step or a given number is written (LaTeX, Markdown) is made from
    its id's parts (:attr:`Step.sid`, :attr:`givens`) by :mod:`derive.present.notation`."""

    def __init__(self, spec, steps: list[Step], given: dict[sp.Symbol, sp.Rational],
                 leaves: dict[str, sp.Symbol], givens: dict[str, Given]):
        self.spec = spec
        self.steps = steps
        self.by_id = {s.id: s for s in steps}
        self.given = given              # parameter, input, target and eta symbols -> values
        self.leaves = leaves            # given quantity name (w1, i1, y_o1, eta) -> symbol
        self.givens = givens            # given quantity name -> what it is (Given)
        self.evaluate()

    def __getitem__(self, step_id: str) -> Step:
        return self.by_id[step_id]

    def __iter__(self):
        return iter(self.steps)

    def __len__(self):
        return len(self.steps)

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def values(self, exact: bool = False) -> dict[str, sp.Expr]:
        return {s.id: (s.exact if exact else s.value) for s in self.steps}

    def evaluate(self) -> None:
        """Compute every step's ``exact`` value, and its ``value`` under the carry policy."""
        exact = self.run()
        for s in self.steps:
            s.exact = exact[s.id]
        if self.spec.carry == "rounded":
            shown = self.run(decimals=self.spec.decimals)
        else:
            shown = exact
        for s in self.steps:
            s.value = shown[s.id]

    def run(self, given: dict | None = None, decimals: int | None = None,
            overrides: dict[str, sp.Expr] | None = None) -> dict[str, sp.Expr]:
        """Evaluate all steps in order. ``decimals`` rounds each value before it is used
        downstream; ``overrides`` replaces chosen steps' values (a student's answers)."""
        env: dict[sp.Symbol, sp.Expr] = dict(self.given if given is None else given)
        out = {}
        for s in self.steps:
            if overrides and s.id in overrides:
                v = overrides[s.id]
            else:
                v = evaluate(s.formula, env)
                if decimals is not None:
                    v = round_half_up(v, decimals)
            env[s.symbol] = out[s.id] = v
        return out

    def recompute(self, step_id: str, upstream: dict[str, sp.Expr]) -> sp.Expr:
        """The value of one step from the given numbers and ``upstream`` values of its
        dependencies (missing ones fall back to the key's values)."""
        s = self.by_id[step_id]
        env = dict(self.given)
        for d in s.deps:
            env[self.by_id[d].symbol] = upstream.get(d, self.by_id[d].value)
        return evaluate(s.formula, env)
