"""Reading the catalog file: parsed once per process and version of the file.

The CLI checks the catalog before any Prefect start-up (a typo is reported at once), and the flow
it then runs gets the same parsed catalog instead of reading and validating the file again.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from transforms.catalog import Catalog, parse_catalog


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate a catalog file; raises CatalogError listing every problem."""
    path = Path(path).resolve()
    stat = path.stat()
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> Catalog:
    return parse_catalog(path.read_text(encoding="utf-8"), base_dir=path.parent)
