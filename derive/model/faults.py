"""Every fault of a spec's single fields at once: a teacher fixes three mistakes in one run,
not three. The spec's declared field table (:mod:`derive.model.fields`) is walked over the
whole document, and each key and value is checked by the same checks the validator makes
(:class:`~derive.model.checks.FieldChecker`), so the messages are the validator's own: an
unknown key, a missing field, a word not among the choices, a number out of its range, a
value of the wrong type. What depends on several fields (a row count that follows a layer
size) is the validator's alone, which reports the first such fault when the fields are
each in order.

>>> from derive.model.load import read_yaml
>>> from derive.model.fields import TOP
>>> data = read_yaml("network: {inputs: 2, layrs: []}\\nloss: hinge\\nparameters: {weights: {}}\\n")
>>> [str(e) for e in field_faults(data, TOP, "x.yaml")][:3]  # doctest: +NORMALIZE_WHITESPACE
['x.yaml: network.layrs: unknown key (allowed: inputs, layers, weight_names, bias_names, train_biases)',
 'x.yaml: network.layers: missing',
 "x.yaml: loss: expected one of half-sse, sse, mse, half-mse, cross-entropy, bce, none, got 'hinge'"]
"""

from __future__ import annotations

from derive.model.checks import FieldChecker, join, kind
from derive.model.fields import ListOf, Named, Section, Shaped
from derive.model.load import SpecError, SpecErrors

__all__ = ["MOST", "all_faults", "field_faults"]

#: The most faults a run reports (then "and N more").
MOST = 10


def field_faults(data, decl: Section, source: str) -> list[SpecError]:
    """The faults of every declared field of ``data`` (parsed YAML) under ``decl``, in the
    order of the document's declaration: keys of a mapping first, then its values."""
    return _Walker(source).faults_of(data, decl, "")


def all_faults(data, decl: Section, source: str, first: SpecError) -> SpecError:
    """The error to report once the validator has stopped at ``first``: with the faults of
    the single fields (:func:`field_faults`) when there are more, all of them, one line each
    (:class:`SpecErrors`); else ``first`` alone. Run only after a failure, so a spec that is
    right costs nothing more, and the size limits are still checked before any weight is read."""
    faults = field_faults(data, decl, source)
    if str(first) not in {str(f) for f in faults}:
        faults.insert(0, first)
    return SpecErrors(faults, MOST) if len(faults) > 1 else first


class _Walker(FieldChecker):
    def faults_of(self, d, decl: Section, where: str) -> list[SpecError]:
        optional = [k for k in decl.allowed if k not in decl.required]
        out = self.key_problems(d, where, decl.required, optional)
        if not isinstance(d, dict) or any(e.what.startswith(("expected a mapping", "keys must")) for e in out):
            return out
        for key in decl.fields:
            if d.get(key) is not None:
                out += self.value(d, key, decl, where)
        try:
            self.one_of(d, where, decl)
        except SpecError as e:
            out.append(e)
        return out

    def value(self, d: dict, key: str, decl: Section, where: str) -> list[SpecError]:
        rule, v, at = decl[key].rule, d[key], join(where, key)
        if isinstance(rule, Section):
            return self.faults_of(v, rule, at)
        if isinstance(rule, Named):
            return self.faults_of({"name": v} if isinstance(v, str) else v, rule.section, at)
        if isinstance(rule, ListOf):
            if not isinstance(v, list):
                return [SpecError(self.source, at, f"expected a list, got {kind(v)}")]
            if isinstance(rule.item, Section):
                return [e for i, item in enumerate(v) for e in self.faults_of(item, rule.item, f"{at}[{i}]")]
            return []
        if isinstance(rule, Shaped):
            return []  # (its form depends on other fields: the validator's)
        try:
            self.field(d, key, decl, where)
        except SpecError as e:
            return [e]
        return []
