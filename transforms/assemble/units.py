"""Units a document states once and means for many tables: budget books print 「千円」 once.

Two ways a table inherits the units of its columns from an earlier one, kept for the whole
document: a ruled block with the same columns as an earlier one (a budget book's next 項 under
the same 目/節/説明 columns) uses the units that block's columns stated; a block printed right
under a table, in its columns, with no unit of its own (a budget book's next 目 after the ruled
frame ends) uses the units of the columns above it.
"""

from __future__ import annotations

from dataclasses import dataclass

from transforms.assemble.stitch import StitchedTable, column_edges

# How far below a table (points) a block may start and still read the units of its columns.
UNITS_ABOVE_ZONE = 40.0


def column_extent(table: StitchedTable, c: int) -> tuple[float, float] | None:
    """The x-range column `c` occupies in the table's last rows (its own cells only)."""
    boxes = [row[c] for row in table.cell_boxes[-10:] if c < len(row) and row[c]]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), max(b[2] for b in boxes))


@dataclass(frozen=True, slots=True)
class _UnitColumn:
    page: int
    x0: float
    x1: float
    bottom: float
    unit: str


class ColumnUnits:
    """The units each column layout and each page area have stated so far in the document."""

    def __init__(self) -> None:
        self._by_layout: dict[tuple, list[str | None]] = {}
        self._columns: list[_UnitColumn] = []

    @staticmethod
    def _layout(table: StitchedTable) -> tuple:
        return (table.strategy, tuple(column_edges(table.cell_boxes)))

    def known_for(self, table: StitchedTable, table_unit: str | None) -> list[str | None]:
        """The units `table`'s columns inherit (before its own headers and cells are read)."""
        units = list(self._by_layout.get(self._layout(table)) or [])
        if not table_unit and not any(units):
            units = self._units_above(table)
        return units

    def remember(self, table: StitchedTable, units: list[str | None]) -> None:
        """Record the units `table` leaves its columns with, for the tables after it."""
        if not any(units):
            return
        self._by_layout[self._layout(table)] = units
        for c, unit in enumerate(units):
            extent = column_extent(table, c)
            if unit and extent:
                self._columns.append(
                    _UnitColumn(table.page_last, extent[0], extent[1], table.bbox[3], unit)
                )

    def _units_above(self, table: StitchedTable) -> list[str | None]:
        top = table.bbox[1]
        units: list[str | None] = []
        for c in range(table.n_cols):
            extent = column_extent(table, c)
            found = None
            if extent:
                centre = (extent[0] + extent[1]) / 2
                for col in reversed(self._columns):
                    if (
                        col.page == table.page_first
                        and 0 <= top - col.bottom < UNITS_ABOVE_ZONE
                        and col.x0 <= centre <= col.x1
                    ):
                        found = col.unit
                        break
            units.append(found)
        return units
