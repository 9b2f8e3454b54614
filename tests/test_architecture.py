"""docs/ARCHITECTURE.md is the map of the code, and the code keeps to it.

The document's layer table names every module of ``forecast`` and ``dashboards`` with its
layer. These tests read the table and the code's imports (with ``ast``, nothing is
imported) and fail, naming the module, when a module is missing from the table, when the
table names one that no longer exists, when a module imports one from a higher layer, or
when imports run in a circle. Imports under ``if TYPE_CHECKING:`` are for type checkers
only and are left out: a service may name ``Tracker`` in a signature.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ARCHITECTURE.md"
PACKAGES = ("forecast", "dashboards")
ROW = re.compile(r"^\|\s*(\d+)[^|]*\|\s*`([\w.*]+)`\s*\|")


def modules() -> dict[str, Path]:
    """Every module of the two packages by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def layers() -> dict[str, int]:
    """Module (or ``prefix.*``) -> layer number, from the document's table."""
    table: dict[str, int] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            layer, name = int(match.group(1)), match.group(2)
            assert name not in table, f"{name} is in the layer table twice"
            table[name] = layer
    return table


def layer_of(name: str, table: dict[str, int]) -> int | None:
    if name in table:
        return table[name]
    globs = [g for g in table if g.endswith(".*") and name.startswith(g[:-1])]
    return table[globs[0]] if globs else None


def _type_only(tree: ast.Module) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(n) for n in ast.walk(node))
    return hidden


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports at run time (at any depth of its code)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:
                    out.add(full)
                elif base in known:
                    out.add(base)
    out.discard(name)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_the_document_names_every_module_and_only_those() -> None:
    table, known = layers(), modules()
    assert table, "docs/ARCHITECTURE.md has no layer table"
    missing = sorted(m for m in known if layer_of(m, table) is None)
    assert not missing, f"modules missing from docs/ARCHITECTURE.md: {missing}"
    gone = sorted(
        n
        for n in table
        if (n.endswith(".*") and not any(m.startswith(n[:-1]) for m in known))
        or (not n.endswith(".*") and n not in known)
    )
    assert not gone, f"docs/ARCHITECTURE.md names modules that do not exist: {gone}"


def test_no_module_imports_from_a_higher_layer() -> None:
    table = layers()
    wrong = [
        f"{m} (layer {layer_of(m, table)}) imports {d} (layer {layer_of(d, table)})"
        for m, deps in sorted(graph().items())
        for d in sorted(deps)
        if (layer_of(d, table) or 0) > (layer_of(m, table) or 0)
    ]
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circle(package: str) -> None:
    edges = {m: d for m, d in graph().items() if m.split(".")[0] == package}
    cycle = find_cycle(edges)
    assert cycle is None, f"import circle in {package}: {' -> '.join(cycle or [])}"


def test_the_circle_finder_finds_a_circle() -> None:
    # The check above can fail: a made-up graph with a circle is reported as one.
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


# A kind is named only where it is defined and where its own maths lives; everything else
# asks the registry (``forecast.kinds``) for a trait, so a kind that shares the traits of an
# existing one is a table entry plus its maths.
KIND_HOMES = {
    "forecast.domain": "the enum, and each kind's validation",
    "forecast.kinds": "the registry",
    "forecast.trajectory": "one daily path per kind",
    "forecast.learning.simulate": "simulated teams draw a kind per question",
}


def kinds_named(tree: ast.Module) -> list[int]:
    """Lines that name a member of ``Kind`` (``Kind.EVENT`` and the like)."""
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Kind"
        and node.attr.isupper()
    )


def test_only_the_registry_and_the_kinds_maths_name_a_kind() -> None:
    named = {}
    for name, path in modules().items():
        lines = kinds_named(ast.parse(path.read_text(encoding="utf-8")))
        if lines and name not in KIND_HOMES:
            named[name] = lines
    assert named == {}, f"ask forecast.kinds for a trait instead (module: lines): {named}"


def test_the_kind_finder_finds_a_kind() -> None:
    code = "if q.kind is Kind.CHOICE:\n    pass\nx = kinds.has_ladder(q)\ny = Kind('event')\n"
    assert kinds_named(ast.parse(code)) == [1]
