"""The dashboard's layering, read from its source (no Streamlit run).

- Its modules import each other as the package ``dashboards`` (``from dashboards import
  state``), never by bare name (``import state``) and never with ``sys.path`` changed: a
  module imported under two names is two copies, each with its own ``st.cache_*`` and module
  state, and a page run by Streamlit's navigation would then read caches the writes never
  clear.
- They import each other one way: ``tests/test_architecture.py`` finds import circles in
  both packages.
- Only ``state.py`` opens a ``Tracker`` or reaches its store: every read is cached there and
  every write clears those caches.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = ROOT / "dashboards"
PACKAGE = "dashboards"
FILES = sorted([*DASHBOARDS.glob("*.py"), *(DASHBOARDS / "views").glob("*.py")])
# The names its modules would have if imported by bare name (its folder on sys.path).
BARE = {p.stem for p in DASHBOARDS.glob("*.py") if p.stem != "__init__"} | {"views"}


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _node(path: Path) -> str:
    """A file's name in the import graph: its module name (pages are scripts: their path)."""
    if path.parent == DASHBOARDS:
        return PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"
    return str(path.relative_to(ROOT))


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dashboard modules an import statement loads (package imports only)."""
    modules = {_node(p) for p in FILES if p.parent == DASHBOARDS}
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif node.level or node.module is None:
        return []
    elif node.module == PACKAGE:  # from dashboards import state, text
        names = [f"{PACKAGE}.{alias.name}" for alias in node.names]
        names = [n if n in modules else PACKAGE for n in names]
    else:
        names = [node.module]
    found = []
    for name in names:
        parts = name.split(".")
        # "import dashboards.state" loads the package and the module
        found += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return [n for n in dict.fromkeys(found) if n in modules]


def _is_sys_path(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "path"
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
    )


def test_dashboard_modules_import_each_other_through_the_package() -> None:
    assert len(FILES) > 10, f"no dashboard sources found under {DASHBOARDS}"
    offenders = []
    for path in FILES:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in BARE:
                        offenders.append(
                            f"{_where(path, node)}: `import {alias.name}` (bare name; "
                            f"write `from {PACKAGE} import {alias.name}`)"
                        )
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    offenders.append(
                        f"{_where(path, node)}: relative import `{ast.unparse(node)}` (pages "
                        f"run as scripts, where it fails; write `from {PACKAGE}...`)"
                    )
                elif node.module and node.module.split(".")[0] in BARE:
                    offenders.append(
                        f"{_where(path, node)}: `{ast.unparse(node)}` (bare name; write "
                        f"`from {PACKAGE}.{node.module} import ...`)"
                    )
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if _is_sys_path(node.func.value):
                    offenders.append(f"{_where(path, node)}: `{ast.unparse(node)}`")
            elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(_is_sys_path(t) for t in targets):
                    offenders.append(f"{_where(path, node)}: `{ast.unparse(node)}`")
    assert not offenders, (
        "dashboard modules must import each other as the package `dashboards` and leave "
        "sys.path alone (a second copy of a module splits its caches):\n" + "\n".join(offenders)
    )


def test_only_state_opens_the_tracker_or_reaches_its_store() -> None:
    offenders = []
    for path in FILES:
        if path == DASHBOARDS / "state.py":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Attribute) and node.attr == "store":
                offenders.append(f"{_where(path, node)}: `{ast.unparse(node)}`")
            elif isinstance(node, ast.Name) and node.id == "Tracker":
                offenders.append(f"{_where(path, node)}: uses `Tracker`")
            elif (  # state.tracker().anything: a read that skips the caches
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "tracker"
            ):
                offenders.append(f"{_where(path, node)}: `{ast.unparse(node)}`")
    assert not offenders, (
        "only dashboards/state.py opens a Tracker or reads through one (pages call its "
        "cached functions):\n" + "\n".join(offenders)
    )
