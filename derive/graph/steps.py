"""The step graph: the one structure every output reads.

A :class:`Step` is one quantity a student computes: its stable id, the SymPy formula
that defines it in terms of earlier steps and the given numbers, and its value. A
step's value is a function of its dependencies' values only, so any step can be
recomputed from someone else's upstream answers (:meth:`StepGraph.recompute`).

Values are SymPy numbers: exact rationals while the arithmetic stays rational (the
inputs are decimals, so nets are exact), and 50-digit floats after a transcendental
function (sigma, tanh, exp, log); :mod:`derive.graph.arith` computes them.

Step ids (one sample): ``net_<node>``, ``out_<node>``, ``loss``, ``dloss_dout_<node>``,
``dout_dnet_<node>``, ``delta_<node>``, ``grad_<param>``, ``new_<param>``. With several
samples the per-sample steps end in ``_s1``, ``_s2``, ... (``net_h1_s2``, ``loss_s2``,
``grad_w1_s2``) and ``loss``, ``grad_<param>``, ``new_<param>`` are the batch values. An
optimizer's state steps (``m_<param>``, ``v_<param>``, ``mhat_<param>``, ``vhat_<param>``)
and ``change_<param>`` come before ``new_<param>`` (:mod:`derive.graph.optimizers`); the
steps of update t >= 2 of an unrolled ``steps: N`` end in ``_t<t>``.

Besides its formula a step keeps references: the ids it reads (``deps``), the chain-rule
paths of a gradient (``chain``, of :class:`Factor`) and the terms of a hidden delta's sum
(``back``). How any of it is written is decided in :mod:`derive.present`.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> st = derive(load_spec("worked/batch.yaml"))["grad_w1_s2"]
>>> st.sid, st.deps, st.formula
(StepId(kind='grad', subject='w1', sample=1), ('delta_h1_s2',), delta_h1_s2*x1_s2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NoReturn

import sympy as sp

from derive.graph.arith import MAX_DIGITS, PRECISION, RawValues, evaluate, recipe_formula, recipe_value, to_number
from derive.graph.magnitude import magnitude_problem
from derive.model.load import SpecError
from derive.model.names import AFTER, StepId, update_suffix
from derive.model.numbers import round_half_up

__all__ = ["MAX_DIGITS", "PRECISION", "Factor", "Given", "Step", "StepGraph", "check_order", "evaluate", "to_number"]


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


@dataclass(eq=False)
class Step:
    """One quantity a student computes. Its formula is ``recipe`` itself when that is a SymPy
    expression, or is built from the recipe (sums and products, see :mod:`derive.graph.arith`)
    the first time it is read; so is its symbol."""

    id: str
    kind: str  # net | out | loss | dloss_dout | dout_dnet | delta | grad | new
    recipe: object  # a SymPy formula, or a recipe tree of names and numbers
    deps: tuple[str, ...]  # ids of the steps the formula reads
    layer: int | None = None  # index into spec.layers (net, out, dout_dnet, delta)
    node: int | None = None  # index of the node within its layer
    sample: int | None = None  # 0-based sample index for per-sample steps
    param: str | None = None  # parameter name (grad, new)
    #: grad steps: the chain-rule paths from the loss to the parameter, each a tuple of
    #: :class:`Factor`; empty when there are more than chain.MAX_PATHS paths.
    chain: tuple = ()
    #: hidden deltas: the (weight, delta id) pairs of the next layer that the sum runs over.
    back: tuple = ()
    value: sp.Expr = None  # under the spec's carry policy (what the walkthrough shows)
    exact: sp.Expr = None  # with full precision carried
    subject: str | None = None  # the node or parameter the id names (None for a loss)
    #: The same quantity written without forms that cancel when an output saturates (bce's
    #: loss, dJ/dout and delta from the sigmoid's net input); its value is the step's value
    #: wherever values are carried exactly (None: the formula is).
    stable: Any = None
    #: a forward step at the updated parameters (``net_h1_after``, ``loss_after_s2``)
    after: bool = False
    #: the 0-based update of an unrolled ``steps: N`` the step belongs to (None: the first)
    update: int | None = None
    #: a weight's batch gradient with weight decay: the name (given or step id) of the weight
    #: whose lam * w it adds to the chain rule's products
    decay: str | None = None
    # made when first read (most steps of a large graph never need them)
    _symbol: Any = field(default=None, init=False, repr=False)
    _formula: Any = field(default=None, init=False, repr=False)
    _reads: Any = field(default=None, init=False, repr=False)

    @property
    def sid(self) -> StepId:
        """The id's parts: kind, node or parameter, the sample when the id carries one, and
        whether it is a forward step at the updated parameters."""
        head = self.kind if self.subject is None else f"{self.kind}_{self.subject}"
        bare = (head + AFTER if self.after else head) + update_suffix(self.update)
        return StepId(self.kind, self.subject, None if self.id == bare else self.sample, self.after, self.update)

    @property
    def symbol(self) -> sp.Symbol:
        if self._symbol is None:
            self._symbol = sp.Symbol(self.id)
        return self._symbol

    @property
    def formula(self) -> sp.Expr:
        """The SymPy formula, in the symbols of ``deps`` and of given quantities."""
        if self._formula is None:
            r = self.recipe
            self._formula = r if isinstance(r, sp.Basic) else recipe_formula(r)
        return self._formula

    def remember_symbols(self, symbols) -> None:
        """Tell the step the free symbols of its (SymPy) formula, when the caller has them."""
        self._reads = tuple((s, s.name) for s in symbols)

    def compute(self, vals: dict, raws: RawValues | None = None, keep: bool = False, stable: bool = True) -> sp.Expr:
        """The value from ``vals`` (step id or given name -> number; ``raws``, their raw
        forms as :mod:`derive.graph.arith` computes with them, when a caller keeps them;
        with ``keep``, the value is the one ``vals`` will hold and its raw form is kept too).
        A step with a ``stable`` form takes its value from it, and from the formula where
        the stable form cancels beyond the working precision; with ``stable`` False (values
        rounded as a calculator rounds them, a student's own values) the other way round:
        the stable form only where the formula has no value (log 0 at a rounded output of 1)."""
        if self.stable is None:
            return self._from_formula(vals, raws, keep)
        forms = (self._from_stable, self._from_formula) if stable else (self._from_formula, self._from_stable)
        try:
            return forms[0](vals, raws, keep)
        except ArithmeticError:
            return forms[1](vals, raws, keep)

    def _from_stable(self, vals: dict, raws: RawValues | None, keep: bool) -> sp.Expr:
        return evaluate(self.stable, {s: vals[s.name] for s in self.stable.free_symbols})

    def _from_formula(self, vals: dict, raws: RawValues | None, keep: bool) -> sp.Expr:
        if not isinstance(self.recipe, sp.Basic):
            v = recipe_value(self.recipe, vals, raws, self.id if keep else None)
            if v is not None:
                return v
        if self._reads is None:
            self._reads = tuple((s, s.name) for s in self.formula.free_symbols)
        return evaluate(self.formula, {s: vals[n] for s, n in self._reads if n in vals})


class StepGraph:
    """An ordered list of steps plus the given numbers they start from. It holds numbers and
    references only: how a step or a given number is written (LaTeX, Markdown) is made from
    its id's parts (:attr:`Step.sid`, :attr:`givens`) by :mod:`derive.present.notation`."""

    def __init__(self, spec, steps: list[Step], numbers: dict[str, sp.Rational], givens: dict[str, Given]):
        self.spec = spec
        self.steps = steps
        self.by_id = {s.id: s for s in steps}
        self.numbers = numbers  # given quantity name (w1, i1, y_o1, eta) -> value
        self.givens = givens  # given quantity name -> what it is (Given)
        self.evaluate()

    @cached_property
    def leaves(self) -> dict[str, sp.Symbol]:
        """Given quantity name -> its symbol."""
        return {name: sp.Symbol(name) for name in self.numbers}

    @cached_property
    def given(self) -> dict[sp.Symbol, sp.Rational]:
        """Parameter, input, target and eta symbols -> their values."""
        return {self.leaves[name]: v for name, v in self.numbers.items()}

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
        """Compute every step's ``exact`` value, and its ``value`` under the carry policy
        (:meth:`run`, in one pass when the exact values are carried)."""
        vals = dict(self.numbers)
        raws = RawValues(vals)
        carried = self.spec.carry != "rounded"
        for s in self.steps:
            vals[s.id] = s.exact = v = s.compute(vals, raws, keep=True)
            if magnitude_problem(v):
                self._too_large(s, v)
            if carried:
                s.value = v
        if not carried:
            shown = self.run(decimals=self.spec.decimals)
            for s in self.steps:
                s.value = shown[s.id]

    def run(
        self, given: dict | None = None, decimals: int | None = None, overrides: dict[str, sp.Expr] | None = None
    ) -> dict[str, sp.Expr]:
        """Evaluate all steps in order. ``given`` replaces the given numbers (symbol ->
        value); ``decimals`` rounds each value before it is used downstream; ``overrides``
        replaces chosen steps' values (a student's answers)."""
        vals = dict(self.numbers) if given is None else {s.name: v for s, v in given.items()}
        raws = RawValues(vals)
        out = {}
        stable = decimals is None and not overrides
        for s in self.steps:
            if overrides and s.id in overrides:
                v = overrides[s.id]
            else:
                v = s.compute(vals, raws, stable=stable)
                if magnitude_problem(v):
                    self._too_large(s, v)
                if decimals is not None:
                    v = round_half_up(v, decimals)
            vals[s.id] = out[s.id] = v
        return out

    def _too_large(self, s: Step, v) -> NoReturn:
        raise SpecError(
            self.spec.source,
            s.id,
            f"{magnitude_problem(v)}; are some weights, inputs or the learning rate extreme?",
        )

    def recompute(self, step_id: str, upstream: dict[str, sp.Expr]) -> sp.Expr:
        """The value of one step from the given numbers and ``upstream`` values of its
        dependencies (missing ones fall back to the key's values)."""
        s = self.by_id[step_id]
        env = dict(self.given)
        for d in s.deps:
            env[self.by_id[d].symbol] = upstream.get(d, self.by_id[d].value)
        return evaluate(s.formula, env)


def check_order(steps: list[Step]) -> None:
    """The step graph's order rule: each step after every step it reads."""
    seen: set[str] = set()
    for st in steps:
        if not seen.issuperset(st.deps):
            early = sorted(set(st.deps) - seen)
            raise RuntimeError(f"step {st.id} is built before {', '.join(early)}, which it reads")
        seen.add(st.id)
