"""No test module reads the clock when it is imported.

A value read at import (``YEAR = timezone.localdate().year``) and the code's own reading during
the test disagree when the run crosses New Year. Tests that need "this year" use the ``clock``
fixture; CI also runs the suite with the clock starting at 31 December 23:59:30 in Moscow.
"""

import ast
from pathlib import Path

TESTS = Path(__file__).parent
#: Calls that read the clock: ``x.now()``, ``date.today()``, ``timezone.localdate()``…
CLOCK_METHODS = {"now", "today", "utcnow", "localdate", "localtime", "current_year", "time_ns"}


def reads_clock(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in CLOCK_METHODS:
        return True
    # time.time() (but not dt.time(12), a constructor)
    return isinstance(func, ast.Attribute) and name == "time" and ast.unparse(func) == "time.time"


def evaluated_at_import(body: list[ast.stmt]):
    """The expressions Python evaluates when it runs a module (or class) body: statements at that
    level, decorators, default arguments and class bodies — not function bodies or lambdas."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from node.decorator_list
            yield from node.args.defaults
            yield from (d for d in node.args.kw_defaults if d is not None)
        elif isinstance(node, ast.ClassDef):
            yield from node.decorator_list
            yield from node.bases
            yield from evaluated_at_import(node.body)
        else:
            yield node


def clock_reads(tree: ast.Module):
    pending = list(evaluated_at_import(tree.body))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef):
            continue  # runs later, if at all
        if isinstance(node, ast.ClassDef):
            pending += evaluated_at_import([node])
            continue
        if isinstance(node, ast.Call) and reads_clock(node):
            yield node
        pending += ast.iter_child_nodes(node)


def test_the_check_finds_what_it_looks_for():
    caught = ast.parse(
        "YEAR = timezone.localdate().year\n"
        "def f(day=dt.date.today()): pass\n"
        "@pytest.mark.parametrize('x', [time.time()])\n"
        "def test(x): pass\n"
        "class T:\n    now = timezone.now()\n"
    )
    assert len(list(clock_reads(caught))) == 4
    allowed = ast.parse(
        "def f():\n    return timezone.now()\ng = lambda: dt.date.today()\nNOON = dt.time(12)\n"
    )
    assert list(clock_reads(allowed)) == []


def test_no_test_module_reads_the_clock_at_import():
    found = [
        f"{path.relative_to(TESTS)}, line {node.lineno}: {ast.unparse(node)}"
        for path in sorted(TESTS.rglob("*.py"))
        for node in clock_reads(ast.parse(path.read_text()))
    ]
    assert not found, f"read the clock at import: {found}"
