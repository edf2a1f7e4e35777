"""No import cycle between apps, and an import inside a function only where it breaks one.

Dependencies flow one way (docs/architecture.md, "Where code lives"): the entry points (views,
URLs, the API, tasks, commands, the scheduler's jobs) call the action layer (`socialdesk.actions`),
which uses the apps below it (models, selectors, connectors). An import anywhere, at the top of a
module or inside a function, is a dependency; one inside a function that carries a
`# cycle: a <-> b` comment is a documented break of a cycle and not counted. The test reads the
source, so it also sees the imports a function makes only when it runs.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "socialdesk"

# Modules that only Django, the worker or the scheduler import: they sit above everything and may
# import any app. Nothing imports them (checked below), so they close no cycle.
ENTRY_POINTS = (
    r"\.views$",
    r"\.urls$",
    r"\.admin$",
    r"\.apps$",
    r"\.tasks$",
    r"\.signals$",
    r"\.management\.",
    r"\.templatetags\.",
    r"^socialdesk\.(api|web|demo)(\.|$)",
    r"^socialdesk\.(urls|settings|wsgi|cli)$",
    r"^socialdesk\.operations\.(schedule|checks|metrics|middleware|health)$",
    # The pollers the scheduler runs: they read a platform and hand what they read to the actions.
    r"^socialdesk\.ingestion\.(polling|deletions)$",
)

# Cycles between apps that are still there, each with what closes it. The test fails when one
# of these is broken too, so the list only shrinks.
KNOWN_CYCLES: dict[frozenset, str] = {}

CYCLE_NOTE = re.compile(r"#\s*cycle:", re.IGNORECASE)


def _is_entry_point(module: str) -> bool:
    return any(re.search(p, module) for p in ENTRY_POINTS)


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(module: str, path: Path, modules: dict) -> list[tuple[str, int, bool, str]]:
    """(imported module, line, inside a function, the line's text with the one above)."""
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []

    def visit(node, inside: bool):
        for child in ast.iter_child_nodes(node):
            nested = inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            targets = []
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    name = ".".join(base + ([child.module] if child.module else []))
                else:
                    name = child.module or ""
                for alias in child.names:
                    full = f"{name}.{alias.name}"
                    targets.append(full if full in modules else name)
            elif isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            for target in targets:
                if target in modules and target != module:
                    # The import with the comment lines right above it.
                    first = child.lineno - 1
                    while first > 0 and lines[first - 1].strip().startswith("#"):
                        first -= 1
                    text = "\n".join(lines[first : child.end_lineno])
                    found.append((target, child.lineno, inside, text))
            visit(child, nested)

    visit(tree, False)
    return found


def _graph():
    modules = _modules()
    edges: dict[tuple[str, str], list[str]] = {}
    unmarked, upward = [], []
    for module, path in modules.items():
        for target, line, inside, text in _imports(module, path, modules):
            where = f"{path.relative_to(ROOT.parent)}:{line} imports {target}"
            if _is_entry_point(target) and not _is_entry_point(module):
                # Scheduling a task from the action layer after commit is the one allowed call up.
                if not (module.startswith("socialdesk.actions.") and target.endswith(".tasks")):
                    upward.append(where)
            if _is_entry_point(module) or _is_entry_point(target):
                continue
            a, b = _app(module), _app(target)
            if a == b:
                continue
            if inside and not CYCLE_NOTE.search(text):
                unmarked.append(where)
            if inside and CYCLE_NOTE.search(text):
                continue
            edges.setdefault((a, b), []).append(where)
    return edges, unmarked, upward


def _cycles(edges) -> list[frozenset]:
    graph: dict[str, set] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _explain(cycle: frozenset, edges) -> str:
    return "\n".join(
        f"  {a} -> {b}: {where[0]}" + (f" (+{len(where) - 1} more)" if len(where) > 1 else "")
        for (a, b), where in sorted(edges.items())
        if a in cycle and b in cycle
    )


def test_no_import_cycle_between_apps():
    edges, _, _ = _graph()
    found = _cycles(edges)
    new = [c for c in found if c not in KNOWN_CYCLES]
    assert not new, "Import cycles between apps:\n" + "\n\n".join(
        f"{' <-> '.join(sorted(c))}:\n{_explain(c, edges)}" for c in new
    )
    gone = [c for c in KNOWN_CYCLES if c not in found]
    assert not gone, f"These cycles are broken now: remove them from KNOWN_CYCLES: {gone}"


def test_imports_inside_functions_only_break_a_cycle():
    """An import of another app inside a function says which cycle it breaks (`# cycle: ...`)."""
    _, unmarked, _ = _graph()
    assert not unmarked, (
        "Imports inside functions that break no documented cycle (move them to the top of the "
        "module, or say which cycle they break with `# cycle: app <-> app`):\n  "
        + "\n  ".join(unmarked)
    )


def test_nothing_below_imports_an_entry_point():
    _, _, upward = _graph()
    assert not upward, "Modules importing views, tasks or commands:\n  " + "\n  ".join(upward)


@pytest.mark.parametrize(
    "edges, expected",
    [
        ({("a", "b"): ["x"], ("b", "a"): ["y"]}, [frozenset({"a", "b"})]),
        ({("a", "b"): ["x"], ("b", "c"): ["y"], ("c", "a"): ["z"]}, [frozenset({"a", "b", "c"})]),
        ({("a", "b"): ["x"], ("b", "c"): ["y"]}, []),
    ],
)
def test_the_cycle_finder_finds_cycles(edges, expected):
    assert _cycles(edges) == expected
