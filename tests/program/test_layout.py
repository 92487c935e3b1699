"""The layout's promises: no import cycle between the program's parts, and the release component
loads neither the settings model nor pydantic (read from the source with ast, and in a fresh
interpreter)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The program's own code (the generated and vendored trees aside).
SOURCES = ("__main__.py", "components", "tools", "policy", "provider")
SKIPPED = ("policy/venv", "tools/engine")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or "__main__"


def project_modules() -> dict[str, Path]:
    found = {}
    for source in SOURCES:
        root = PROJECT_DIR / source
        for path in [root] if root.is_file() else sorted(root.rglob("*.py")):
            if not any(str(path.relative_to(PROJECT_DIR)).startswith(skipped) for skipped in SKIPPED):
                found[module_name(path)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, anywhere in it but under `if TYPE_CHECKING:`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return {module for module in found if module in modules and module != name}


def part(module: str) -> str:
    """The part a module belongs to: a cloud's or the release's package, the mock runner, or the module itself."""
    parts = module.split(".")
    if parts[0] == "components" and len(parts) > 2:
        return ".".join(parts[:2])
    if parts[:2] == ["tools", "mockrun"]:
        return "tools.mockrun"
    return module


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of `graph` with more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def part_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = graph.setdefault(part(name), set())
        edges.update(part(module) for module in imports_of(path, name, modules) if part(module) != part(name))
    return graph


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_the_program_s_imports():
    graph = part_graph()
    assert "components.kubernetes" in graph["__main__"] or "components.registry" in graph["__main__"]
    assert "components.label_studio" in graph["components.kubernetes"]
    assert "components.aws" in graph["components.s3_compatible"]


def test_no_import_cycle_between_the_program_s_parts():
    assert cycles(part_graph()) == []


def test_the_release_loads_neither_the_settings_nor_pydantic():
    script = (
        "import sys\n"
        "import components.kubernetes.release, components.compose\n"
        "parts = ('pydantic', 'components.settings', 'components.registry')\n"
        "loaded = [m for m in sys.modules if m.startswith(parts)]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
