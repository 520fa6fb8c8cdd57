"""The Discord adapter's modules depend on each other one way: adapter → client → render
(and delivery → render), never back, not even for type checking."""

from __future__ import annotations

import ast
from pathlib import Path

import adapters.discord

PACKAGE = Path(adapters.discord.__file__).parent
NAME = "adapters.discord"


def imports_within_package(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports anywhere (TYPE_CHECKING blocks too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith(f"{NAME}."):
                module = name.removeprefix(f"{NAME}.").split(".")[0]
                if (PACKAGE / f"{module}.py").exists():
                    found.add(module)
    return found - {path.stem}


def graph() -> dict[str, set[str]]:
    return {path.stem: imports_within_package(path) for path in PACKAGE.glob("*.py")
            if path.stem != "__init__"}


def test_the_modules_import_each_other_one_way() -> None:
    edges = graph()
    assert edges["render"] == set()
    assert edges["client"] == {"render"}
    assert edges["delivery"] == {"render"}
    assert edges["access"] == set()  # the channel check stands alone
    assert edges["adapter"] == {"access", "client", "delivery", "render"}


def test_there_is_no_import_circle() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " → ".join((*path, module))
        if module in done:
            return
        for imported in edges.get(module, ()):
            visit(imported, (*path, module))
        done.add(module)

    for module in edges:
        visit(module, ())
