"""What is published for each source, as its state file says, and whether a fetch changes it.

Light on purpose (no pyarrow, no Prefect): `teian run` asks it of every source before deciding
whether a flow must run at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from flows.store import DataDir, read_state
from transforms.catalog import Source
from transforms.version import PIPELINE_VERSION


def source_fingerprint(source: Source) -> str:
    """Catalog fields that change the published rows; a change republishes the source."""
    fields = asdict(source)
    fields.pop("password", None)
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]


def is_unchanged(data_dir: DataDir, source: Source, sha256: str) -> bool:
    """Published from these bytes, by this pipeline version, from this catalog entry."""
    state = read_state(data_dir, source.id)
    return bool(
        state
        and state.get("sha256") == sha256
        and state.get("pipeline_version") == PIPELINE_VERSION
        and state.get("fingerprint") == source_fingerprint(source)
        and state.get("status") in ("ok", "partial")
    )
