"""The generic kind: any PDF. Its pages, tables and cells are all it publishes, so there is
nothing more to parse; it is the kind a new document gets until one is written for it."""

from __future__ import annotations

from typing import Any

from transforms.records import DocumentInfo, Parsed

DATASETS: tuple[str, ...] = ()
INPUTS: tuple[str, ...] = ()


def parse(doc: DocumentInfo, inputs: dict[str, Any]) -> Parsed:
    """Nothing beyond the assembled datasets."""
    return Parsed()
