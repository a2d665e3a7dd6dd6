"""Keyword tags for request items, from an editable TOML taxonomy (transforms/taxonomy.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from transforms.text import normalize_text

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.toml")


def parse_taxonomy(text: str) -> dict[str, list[str]]:
    """Tag → keywords, keywords normalized like the text they are matched against."""
    data = tomllib.loads(text).get("tags", {})
    return {tag: [normalize_text(k) or "" for k in keywords if k] for tag, keywords in data.items()}


def load_default_taxonomy() -> dict[str, list[str]]:
    return parse_taxonomy(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))


def tags_for(text: str, taxonomy: dict[str, list[str]]) -> list[str]:
    """Tags whose keywords occur in `text` (already normalized), in taxonomy order."""
    return [tag for tag, keywords in taxonomy.items() if any(k and k in text for k in keywords)]
