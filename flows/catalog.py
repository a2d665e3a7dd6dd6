"""Reading the catalog file: parsed once per process and version of the file.

The CLI checks the catalog before any Prefect start-up (a typo is reported at once), and the flow
it then runs gets the same parsed catalog instead of reading and validating the file again.
"""

from __future__ import annotations

import stat
from functools import lru_cache
from pathlib import Path

from transforms.catalog import Catalog, CatalogError, parse_catalog

# A catalog is a few hundred lines; anything this big is not one (and is not read into memory).
MAX_CATALOG_BYTES = 16 * 1024 * 1024


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate a catalog file; raises CatalogError listing every problem."""
    path = Path(path).resolve()
    try:
        info = path.stat()
    except OSError as exc:
        raise CatalogError([f"catalog: cannot read {path}: {exc.strerror or exc}"]) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise CatalogError([f"catalog: {path} is {kind}, not a catalog file"])
    if info.st_size > MAX_CATALOG_BYTES:
        raise CatalogError([f"catalog: {path} is {info.st_size} bytes: too big to be a catalog"])
    return _parsed(path, info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> Catalog:
    return parse_catalog(catalog_text(path), base_dir=path.parent)


def catalog_text(path: Path) -> str:
    """The catalog's text: UTF-8 (a byte-order mark allowed), as TOML requires."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError([f"catalog: cannot read {path}: {exc.strerror or exc}"]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            [
                f"catalog: {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                f"{exc.start}); save it as UTF-8"
            ]
        ) from None
