"""The update rules a walkthrough works by hand: one small object per optimizer.

Each :class:`Rule` holds the SymPy recipe of its state steps (the moments ``m`` and ``v``,
their bias-corrected ``mhat`` and ``vhat``) and of the change ``new - old``, written in
generic symbols: ``g`` the gradient of this update, ``p`` the parameter before it, ``t``
the update's number (1, 2, ...), ``m_prev`` and ``v_prev`` the state the previous update
left (0 before the first), and the settings' own symbols (``beta``, ``rho``, ``beta1``,
``beta2``, ``eps``; :data:`derive.model.options.SETTING_SYMBOLS`). The step-graph builder
puts the graph's symbols in (:meth:`Rule.formulas`); the loss history of a long run
evaluates the same recipes in floats (:meth:`Rule.float_update`). The rules are PyTorch's
documented ones (torch.optim, dampening 0, RMSprop not centered, Adam without amsgrad):

=========  ==============================================================================
sgd        p <- p - eta g
momentum   m = beta m_prev + g (so m = g at t = 1: PyTorch's buffer starts as the gradient);
           p <- p - eta m
nesterov   m as momentum; p <- p - eta (g + beta m)
rmsprop    v = rho v_prev + (1 - rho) g^2;  p <- p - eta g / (sqrt(v) + eps)
adam       m = beta1 m_prev + (1 - beta1) g;  v = beta2 v_prev + (1 - beta2) g^2;
           mhat = m / (1 - beta1^t);  vhat = v / (1 - beta2^t);
           p <- p - eta mhat / (sqrt(vhat) + eps)
=========  ==============================================================================

>>> [k for k, _ in RULES["adam"].formulas(1, {})[0]]
['m', 'v', 'mhat', 'vhat']
>>> RULES["momentum"].formulas(1, {})[0]  # the buffer starts as the gradient
[('m', g)]
>>> RULES["adam"].float_update({"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "eta": 0.1}, 1.0, 0.5, {}, 1)[0]
0.900000002
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from derive.graph.compile import float_value
from derive.model.limits import UNROLL
from derive.model.options import SETTING_SYMBOLS

G, P, T = sp.symbols("g p t")
M_PREV, V_PREV = sp.symbols("m_prev v_prev")
M, V, MHAT, VHAT = sp.symbols("m v mhat vhat")
ETA, BETA, RHO, BETA1, BETA2, EPS = sp.symbols("eta beta rho beta1 beta2 eps")
#: the state a rule carries from one update to the next, and its symbol of the update before
CARRIED = {"m": M_PREV, "v": V_PREV}
_KIND_SYMBOL = {"m": M, "v": V, "mhat": MHAT, "vhat": VHAT}


@dataclass(frozen=True)
class Rule:
    """An optimizer: its state steps (kind, recipe) in the order they are computed, the
    change new - old, the textbook LaTeX of each, and a sentence saying what it does."""

    name: str
    states: tuple[tuple[str, sp.Expr], ...]
    change: sp.Expr
    textbook: tuple[str, ...]  # LaTeX, one line per state and the update
    explain: str
    #: what each state step is, in words, for a question ("the momentum buffer m of {param}")
    words: tuple[tuple[str, str], ...] = ()

    def formulas(self, t: int, names: dict) -> tuple[list[tuple[str, sp.Expr]], sp.Expr]:
        """The state recipes and the change of update ``t`` with ``names`` (generic symbol ->
        the graph's symbol: g, p, m_prev, v_prev and the state kinds m, v, mhat, vhat put
        in); a previous state not in ``names`` is the 0 it starts from."""
        sub = {CARRIED[k]: sp.S.Zero for k in CARRIED}
        sub[T] = sp.Integer(t)
        sub.update(names)
        return [(k, _rename(e, sub)) for k, e in self.states], _rename(self.change, sub)

    def float_update(self, settings: dict, p: float, g: float, state: dict, t: int) -> tuple[float, dict]:
        """The same update in floats: ``settings`` names every setting's symbol and ``eta``;
        ``state`` the previous update's m and v (empty before the first). Returns the new
        parameter and state. (How a run longer than the unrolled graph is continued.)"""
        env = {str(k): v for k, v in settings.items()}
        env.update({"g": g, "p": p, "t": t, "m_prev": state.get("m", 0.0), "v_prev": state.get("v", 0.0)})
        new = {}
        for kind, e in self.states:
            env[kind] = new[kind] = float_value(e, env)
        return p + float_value(self.change, env), {k: new[k] for k in CARRIED if k in new}


def _rename(e: sp.Expr, names: dict) -> sp.Expr:
    """``e`` with its symbols replaced by ``names`` (the graph's symbols, 0 for a state before
    the first update, the update's number for t), rebuilt without evaluating: the rules are
    written in the textbook's order (m = beta1 m + (1 - beta1) g), which SymPy's canonical
    order would turn round, and re-evaluating every parameter's formulas took most of the
    time of a large graph. A product with a 0 is 0, a 0 term is dropped, x^1 is x."""
    if e.is_Symbol:
        return names.get(e, e)
    if not e.args or e.is_Number:
        return e
    args = [_rename(a, names) for a in e.args]
    # (structural tests: the 0 is the one put in; asking SymPy's assumptions was most of the time)
    if e.is_Mul and any(a is sp.S.Zero for a in args):
        return sp.S.Zero
    if e.is_Add:
        args = [a for a in args if a is not sp.S.Zero]
        if len(args) == 1:
            return args[0]
    if e.is_Pow and args[1] is sp.S.One:
        return args[0]
    return e.func(*args, evaluate=False)


def _ordered(op, *args) -> sp.Expr:
    """A sum or product kept in the order written (see :func:`_rename`)."""
    return op(*args, evaluate=False)


#: The momentum buffer of momentum and nesterov (PyTorch's: m = beta m_prev + g, so m_1 = g),
#: its textbook line and its words.
_BUFFER = (("m", _ordered(sp.Add, _ordered(sp.Mul, BETA, M_PREV), G)),)
_BUFFER_LINE = r"m_t = \beta\, m_{t-1} + g_t \quad (m_1 = g_1)"
_BUFFER_WORDS = (("m", "the momentum buffer m of {param}"),)

RULES = {
    "sgd": Rule(
        "sgd",
        (),
        -ETA * G,
        (r"p \leftarrow p - \eta\, g_t",),
        "Plain gradient descent: every parameter moves against its gradient.",
    ),
    "momentum": Rule(
        "momentum",
        _BUFFER,
        _ordered(sp.Mul, -1, ETA, M),
        (_BUFFER_LINE, r"p \leftarrow p - \eta\, m_t"),
        "Momentum (PyTorch's SGD with momentum, dampening 0): a running sum of the gradients, "
        "each earlier one weighted by a further factor beta; the first buffer is the gradient itself.",
        _BUFFER_WORDS,
    ),
    "nesterov": Rule(
        "nesterov",
        _BUFFER,
        _ordered(sp.Mul, -1, ETA, _ordered(sp.Add, G, _ordered(sp.Mul, BETA, M))),
        (_BUFFER_LINE, r"p \leftarrow p - \eta\,(g_t + \beta\, m_t)"),
        "Nesterov momentum (PyTorch's SGD with nesterov=True, dampening 0): the momentum buffer "
        "as in momentum, and a step that looks ahead along it.",
        _BUFFER_WORDS,
    ),
    "rmsprop": Rule(
        "rmsprop",
        (("v", _ordered(sp.Add, _ordered(sp.Mul, RHO, V_PREV), _ordered(sp.Mul, 1 - RHO, G**2))),),
        _ordered(sp.Mul, -1, ETA, G, _ordered(sp.Pow, _ordered(sp.Add, sp.sqrt(V), EPS), -1)),
        (
            r"v_t = \rho\, v_{t-1} + (1 - \rho)\, g_t^2 \quad (v_0 = 0)",
            r"p \leftarrow p - \eta\, g_t / (\sqrt{v_t} + \epsilon)",
        ),
        "RMSprop (PyTorch's, not centered): each step divided by a running root mean square of the gradients.",
        (("v", "the running mean v of the squared gradients of {param}"),),
    ),
    "adam": Rule(
        "adam",
        (
            ("m", _ordered(sp.Add, _ordered(sp.Mul, BETA1, M_PREV), _ordered(sp.Mul, 1 - BETA1, G))),
            ("v", _ordered(sp.Add, _ordered(sp.Mul, BETA2, V_PREV), _ordered(sp.Mul, 1 - BETA2, G**2))),
            ("mhat", _ordered(sp.Mul, M, _ordered(sp.Pow, 1 - BETA1**T, -1))),
            ("vhat", _ordered(sp.Mul, V, _ordered(sp.Pow, 1 - BETA2**T, -1))),
        ),
        _ordered(sp.Mul, -1, ETA, MHAT, _ordered(sp.Pow, _ordered(sp.Add, sp.sqrt(VHAT), EPS), -1)),
        (
            r"m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t",
            r"v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \quad (m_0 = v_0 = 0)",
            r"\hat m_t = m_t / (1 - \beta_1^t), \quad \hat v_t = v_t / (1 - \beta_2^t)",
            r"p \leftarrow p - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)",
        ),
        "Adam (Kingma and Ba; PyTorch's, without amsgrad): running means of the gradient and of its "
        "square, each corrected for starting at 0 (the derivation sheet 'adam' shows why), and a step "
        "of about eta in each parameter's own scale.",
        (
            ("m", "the first moment m (running mean of the gradient) of {param}"),
            ("v", "the second moment v (running mean of the squared gradient) of {param}"),
            ("mhat", "the bias-corrected first moment of {param}"),
            ("vhat", "the bias-corrected second moment of {param}"),
        ),
    ),
}


def rule_of(spec) -> Rule | None:
    """The spec's optimizer rule, or None for the plain update of a spec without ``optimizer:``."""
    return None if spec.optimizer is None else RULES[spec.optimizer.name]


def unrolled(spec, trainable: int) -> int:
    """How many of the spec's ``steps: N`` the step graph works by hand: all of them when an
    optimizer is given and N x ``trainable`` parameters is at most :data:`UNROLL`, else 1
    (the rest is the loss history of :mod:`derive.verify.history`).

    >>> from derive.model.spec import load_spec
    >>> unrolled(load_spec("worked/four.yaml"), 8)
    1
    """
    if spec.optimizer is None or spec.steps * trainable > UNROLL:
        return 1
    return spec.steps


def settings_of(spec) -> dict:
    """The symbols of the optimizer's settings (and ``eta``) -> their exact values."""
    out = {} if spec.learning_rate is None else {"eta": spec.learning_rate}  # (none: loss: none)
    if spec.optimizer is not None:
        out.update({SETTING_SYMBOLS[k]: n.value for k, n in spec.optimizer.settings.items()})
    return out


def symbol_of(kind: str) -> sp.Symbol:
    """The generic symbol of a state kind (m, v, mhat, vhat) in the rules' recipes."""
    return _KIND_SYMBOL[kind]


@lru_cache(maxsize=64)
def _templates(rule: Rule, t: int, carried: frozenset) -> tuple[list[tuple[str, sp.Expr]], sp.Expr]:
    """The rule's recipes of update ``t`` in its generic symbols, the state in ``carried``
    kept as a symbol and the rest 0 (made once per update, not once per parameter)."""
    return rule.formulas(t, {CARRIED[k]: CARRIED[k] for k in carried})


def update_steps(b, name: str, g: str, at: int | None) -> str:
    """The steps of one parameter's update, appended by the step-graph builder ``b`` (its
    ``add``, ``current``, ``state``, ``t``, ``rule``): the rule's state steps, ``change_<p>``
    when ``show: [change]`` asks, and ``new_<p>``. Returns new's id."""
    old, show = b.current(name), "change" in b.spec.show
    if b.rule is None or (b.rule.name == "sgd" and not show):  # (the recipe of earlier walkthroughs)
        change = ("*", sp.S.NegativeOne, b.eta, g)
        if show:
            change = b.add("change", name, change, at, [g], param=name).id
        deps = [g] + ([change] if show else []) + ([old] if old not in b.givens else [])
        return b.add("new", name, ("+", old, change), at, deps, param=name).id
    state = b.state.setdefault(name, {})
    names = {G: sp.Symbol(g), P: sp.Symbol(old)}
    names.update({CARRIED[k]: sp.Symbol(v) for k, v in state.items()})
    kinds, change = _templates(b.rule, b.t, frozenset(state))
    for kind, recipe in kinds:
        st = b.add(kind, name, _rename(recipe, names), at, param=name)
        names[_KIND_SYMBOL[kind]] = st.symbol
        if kind in CARRIED:
            state[kind] = st.id
    change = _rename(change, names)
    if show:
        change = b.add("change", name, change, at, param=name).symbol
    return b.add("new", name, _ordered(sp.Add, sp.Symbol(old), change), at, param=name).id


def l2_penalty(lam: str, weights: list[str], recipe: bool = False):
    """(lam/2) sum w^2 over ``weights`` (the weights, not the biases: the textbook's L2 weight
    decay), as a SymPy formula or, with ``recipe``, a recipe of :mod:`derive.graph.arith`.

    >>> l2_penalty("lam", ["w1", "w2"])
    lam*(w1**2 + w2**2)/2
    """
    if recipe:
        squares = [("*", w, w) for w in weights]
        return ("*", sp.Rational(1, 2), lam, ("+", *squares) if len(squares) > 1 else squares[0])
    return sp.Symbol(lam) / 2 * sp.Add(*[sp.Symbol(w) ** 2 for w in weights])


def adam_sheet():
    """The derivation sheet ``adam``: why Adam divides its running mean by 1 - beta1^t.

    >>> [line.why.split(":")[0] for line in adam_sheet().lines][2:]
    ['put $j = t - k$', 'the sum of a geometric series', 'cancel']
    """
    from derive.graph.functions.sheet import Derivation, Line

    b = sp.Symbol("beta1", positive=True)
    g = sp.Symbol("g", real=True)
    t, k, j = sp.symbols("t k j", integer=True, positive=True)
    corr = 1 - b**t
    s = sp.Symbol("s", positive=True)  # beta1 = 1/(1 + s): every beta1 with 0 < beta1 < 1
    return Derivation(
        "adam",
        "Adam's bias correction: $\\hat m_t = m_t / (1 - \\beta_1^t)$",
        "Adam keeps a running mean of the gradients, $m_t = \\beta_1 m_{t-1} + (1 - \\beta_1) g_t$, "
        "that starts at $m_0 = 0$. Unrolled, $m_t = (1 - \\beta_1) \\sum_{k=1}^{t} \\beta_1^{t-k} g_k$: "
        "the weights of the gradients sum to $1 - \\beta_1^t$, not 1, so the mean is pulled towards its "
        "start at 0. For a constant gradient $g$ (or in expectation, $E[g_k] = E[g]$) the lines below show "
        "$E[m_t] = (1 - \\beta_1^t) E[g]$, so dividing by $1 - \\beta_1^t$ gives an unbiased estimate. At "
        "the first step with $\\beta_1 = 0.9$, $m_1 = 0.1\\, g$: used uncorrected it would be ten times "
        "too small. ($v_t$ and $1 - \\beta_2^t$ are corrected the same way; with both left out, the "
        "first step is $\\eta (1 - \\beta_1)/\\sqrt{1 - \\beta_2} \\approx 3.16\\,\\eta$ instead of $\\eta$.)",
        (
            Line(r"\hat m_t", (1 - b) * sp.Sum(b ** (t - k), (k, 1, t)) * g / corr),
            Line(
                r"\frac{(1 - \beta_1) \sum_{k=1}^{t} \beta_1^{t-k} g}{1 - \beta_1^t}",
                (1 - b) * sp.Sum(b ** (t - k), (k, 1, t)) * g / corr,
                "$m_t$ unrolled from $m_0 = 0$, every $g_k = g$",
            ),
            Line(
                r"\frac{(1 - \beta_1)\, g \sum_{j=0}^{t-1} \beta_1^{j}}{1 - \beta_1^t}",
                (1 - b) * g * sp.Sum(b**j, (j, 0, t - 1)) / corr,
                "put $j = t - k$: the same terms, counted from the newest",
            ),
            Line(
                r"\frac{(1 - \beta_1)\, g\, \frac{1 - \beta_1^t}{1 - \beta_1}}{1 - \beta_1^t}",
                (1 - b) * g * ((1 - b**t) / (1 - b)) / corr,
                "the sum of a geometric series: $\\sum_{j=0}^{t-1} \\beta_1^j = (1 - \\beta_1^t)/(1 - \\beta_1)$",
            ),
            Line("g", g, "cancel: the corrected mean is the gradient itself, whatever t"),
        ),
        cases=(((b, 1 / (1 + s)),),),
        checked="each line simplified to the one before for every t (the sums worked out symbolically), "
        "for every $0 < \\beta_1 < 1$ (written $\\beta_1 = 1/(1 + s)$ with $s > 0$)",
    )
