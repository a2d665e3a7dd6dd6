"""Document kinds: what a document of a known kind means beyond its pages, tables and cells.

Each kind is one module here (or one package, when it needs several files: `budget/`), found by
its name (catalog `kind = "teian"` → `transforms/kinds/teian.py`), and declares:

    DATASETS: tuple[str, ...]  the datasets it publishes besides pages, tables and cells
                               (their Arrow schemas are in `transforms.schemas`)
    INPUTS: tuple[str, ...]    the assembled datasets it reads: "pages", "tables", "cells"
    parse(doc: DocumentInfo, inputs: dict[str, pyarrow.Table]) -> Parsed

A kind reads the same rows the user gets, so it cannot depend on how they were extracted, and it
reads them as Arrow tables, so a 600-page book's cells do not have to sit in memory as dicts.
A new kind is one new module (and its datasets' schemas).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType
from typing import Any


@cache
def available() -> tuple[str, ...]:
    """The kinds a catalog may name: the modules of this package."""
    return tuple(
        sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    )


def load(kind: str) -> ModuleType:
    """The module of `kind`; ValueError for a kind that does not exist."""
    if kind not in available():
        raise ValueError(f"unknown document kind {kind!r} (one of {', '.join(available())})")
    module = importlib.import_module(f"{__name__}.{kind}")
    for name in ("DATASETS", "INPUTS", "parse"):
        if not hasattr(module, name):
            raise TypeError(f"kind module {module.__name__} has no {name}")
    return module


def fill_table_columns(rows: Any, columns: dict[str, dict[str, Any]]) -> Any:
    """`rows` (a pyarrow Table of tables or cells) with `columns` filled by table id.

    Kinds annotate the tables they understand (the request item a table belongs to); the
    annotation is applied column-wise to the assembled Arrow data, never row by row.
    """
    import pyarrow as pa

    for name, by_table in columns.items():
        if name not in rows.column_names:
            continue
        field = rows.schema.field(name)
        ids = rows.column("table_id").to_pylist()
        values = pa.array([by_table.get(i) for i in ids], type=field.type)
        rows = rows.set_column(rows.schema.get_field_index(name), field, values)
    return rows
