"""Table-finder settings, validated: a misspelt key is an error, never silently ignored.

Modelled on pdfplumber's own `TableSettings`: a dataclass with documented defaults, built from a
plain dict with `TableSettings.resolve(...)`. The pdfplumber settings pass through to
`Page.find_tables` for ruled grids; the others steer our own finder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# pdfplumber's TableSettings keys we pass through (see pdfplumber.table.TableSettings).
PDFPLUMBER_KEYS = (
    "vertical_strategy",
    "horizontal_strategy",
    "explicit_vertical_lines",
    "explicit_horizontal_lines",
    "snap_tolerance",
    "snap_x_tolerance",
    "snap_y_tolerance",
    "join_tolerance",
    "join_x_tolerance",
    "join_y_tolerance",
    "edge_min_length",
    "min_words_vertical",
    "min_words_horizontal",
    "intersection_tolerance",
    "intersection_x_tolerance",
    "intersection_y_tolerance",
    "text_x_tolerance",
    "text_y_tolerance",
)


class SettingsError(ValueError):
    """Table settings that cannot be used; the message names the key."""


@dataclass(frozen=True)
class TableSettings:
    """How tables are found on a page. Defaults suit Japanese government PDFs."""

    vertical_strategy: str = "lines"
    horizontal_strategy: str = "lines"
    snap_tolerance: float = 3
    join_tolerance: float = 3
    intersection_tolerance: float = 3
    # Words of a cell are read with these tolerances (pdfplumber's extract_words).
    text_x_tolerance: float = 2
    text_y_tolerance: float = 2
    # Unruled tables: find them from text alignment outside ruled grids (False: ruled only).
    text_tables: bool = True
    # A column gap is wider than this many times the line's font size (word spaces are ~0.3em,
    # a full-width space inside a Japanese title is 1em).
    column_gap: float = 1.2
    # An unruled table needs this many lines that break into columns.
    min_table_lines: int = 3
    # Other pdfplumber settings, passed through unchanged (keys of PDFPLUMBER_KEYS).
    extra: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.min_table_lines < 2:
            raise SettingsError("min_table_lines must be at least 2")
        if self.column_gap <= 0:
            raise SettingsError("column_gap must be positive")

    @classmethod
    def resolve(cls, settings: TableSettings | dict[str, Any] | None = None) -> TableSettings:
        """Settings from a dict of overrides (or None for the defaults); unknown keys are an error."""
        if settings is None:
            return DEFAULT_SETTINGS
        if isinstance(settings, TableSettings):
            return settings
        own = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        unknown = sorted(set(settings) - own - set(PDFPLUMBER_KEYS))
        if unknown:
            raise SettingsError(f"unknown table settings: {', '.join(unknown)}")
        mine = {k: v for k, v in settings.items() if k in own}
        extra = tuple(sorted((k, v) for k, v in settings.items() if k not in own))
        return cls(**mine, extra=extra)

    def pdfplumber(self) -> dict[str, Any]:
        """The settings pdfplumber's `find_tables` takes."""
        mine = {k: getattr(self, k) for k in PDFPLUMBER_KEYS if hasattr(self, k)}
        return {**mine, **dict(self.extra)}


DEFAULT_SETTINGS = TableSettings()
