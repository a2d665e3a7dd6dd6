"""The layout's rules, checked: `transforms/` stays pure, functions stay short enough to read.

`transforms/` holds the knowledge and must be testable without a network, a Prefect API or a
data dir, so it imports none of the modules that do I/O; `flows/` and `report/` may import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("flows", "transforms", "report")
# Modules that do I/O or orchestration: never imported by the pure transforms.
NOT_IN_TRANSFORMS = ("prefect", "httpx", "fsspec", "subprocess", "socket", "flows", "report")
MAX_FUNCTION_LINES = 60


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", _modules("transforms"), ids=lambda p: str(p.relative_to(ROOT)))
def test_transforms_do_no_io(path: Path) -> None:
    forbidden = _imported(ast.parse(path.read_text(encoding="utf-8"))) & set(NOT_IN_TRANSFORMS)
    assert not forbidden, f"{path.name} imports {sorted(forbidden)}"


def test_no_production_function_is_longer_than_a_screen() -> None:
    long = []
    for folder in PRODUCTION:
        for path in _modules(folder):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert not long, long


def test_every_kind_module_declares_its_entry() -> None:
    from transforms import kinds

    assert {"generic", "teian"} <= set(kinds.available())
    for name in kinds.available():
        module = kinds.load(name)
        assert callable(module.parse) and isinstance(module.DATASETS, tuple)
        assert set(module.INPUTS) <= {"pages", "tables", "cells"}
