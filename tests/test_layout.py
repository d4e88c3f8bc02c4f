"""The package's shape: imports flow one way between layers, no module imports itself back
through a cycle, and modules and functions stay small enough to read.

Layers, lowest first (a module may import its own layer and the layers below it):

    errors (one module of exception types)
    model -> graph -> verify -> teach | train -> figures -> present -> cli

teach and train sit side by side above verify and may not import each other; figures sits
above train (it trains small networks for its pictures); present may show figures.
Every import is read, at module level and inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derive"
RANK = {
    "errors": 0,
    "files": 0.5,
    "model": 1,
    "graph": 2,
    "verify": 3,
    "teach": 4,
    "train": 4,
    "figures": 5,
    "present": 6,
    "cli": 7,
    "__main__": 8,
}
SIBLINGS = {frozenset({"teach", "train"})}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package's lazy __init__


def _imports(path: Path, module: str) -> set[str]:
    """Every derive module that ``path`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_pkg else anchor[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            # the longest known module the name starts with
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("derive") and name != "derive" and name != module:
                found.add(name)
    return found


GRAPH = {m: _imports(p, m) for m, p in MODULES.items()}


def test_every_module_has_a_layer():
    for m in MODULES:
        if m != "derive":
            assert _layer(m) in RANK, f"{m}: not in a known layer {sorted(RANK)}"


def _allowed(src: str, dst: str) -> bool:
    a, b = _layer(src), _layer(dst)
    if a is None or a == b:
        return True
    if frozenset({a, b}) in SIBLINGS:
        return False
    return RANK[b] < RANK[a]


def test_imports_flow_one_way():
    backward = sorted(f"{src} imports {dst}" for src, dsts in GRAPH.items() for dst in dsts if not _allowed(src, dst))
    assert not backward, "imports against the layer order:\n" + "\n".join(backward)


def test_no_import_cycles():
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(GRAPH.get(m, ())):
            # a package's __init__ and its own submodules may refer to each other by design
            if d.startswith(m + ".") or m.startswith(d + "."):
                continue
            if state.get(d) == 1:
                cycles.append(" -> ".join(stack[stack.index(d) :] + [d]))
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_checker_proves_a_backward_import_fails():
    assert not _allowed("derive.graph.builder", "derive.present.notation")
    assert not _allowed("derive.teach.marking", "derive.train.core")
    assert _allowed("derive.present.walkthrough", "derive.teach.published")


def _is_data_table(node: ast.AST) -> bool:
    """A function whose body is one return of a literal table (data, not logic)."""
    body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    return (
        len(body) == 1
        and isinstance(body[0], ast.Return)
        and isinstance(body[0].value, (ast.Dict, ast.List, ast.Tuple, ast.Call))
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_are_small(module):
    path = MODULES[module]
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{module}: {lines} lines (at most {MAX_MODULE_LINES})"
    long = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = node.end_lineno - node.lineno + 1
            if n > MAX_FUNCTION_LINES and not _is_data_table(node):
                long.append(f"{node.name} ({n} lines)")
    assert not long, f"{module}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"
