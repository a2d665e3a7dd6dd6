"""Keyword tags for request items, from an editable TOML taxonomy (transforms/taxonomy.toml).

Keywords are normalized exactly like page text before matching, so whoever edits the taxonomy
can write ｻｲﾊﾞｰ or サイバー, （） or (), and still match what the parser produced.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from transforms.normalize.text import normalize_text

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.toml")
_TAG_NAME = re.compile(r"^[a-z0-9_-]+$")


def parse_taxonomy(text: str) -> dict[str, list[str]]:
    """Tag → keywords from the TOML text of a taxonomy, keywords normalized.

    A malformed taxonomy raises ValueError naming the tag: a typo such as a bare string instead
    of a list would otherwise match every single character of it.
    """
    data = tomllib.loads(text).get("tags", {})
    if not isinstance(data, dict):
        raise ValueError("taxonomy: [tags] must be a table of tag = [keywords]")
    taxonomy: dict[str, list[str]] = {}
    for tag, keywords in data.items():
        if not _TAG_NAME.match(tag):
            raise ValueError(f"taxonomy: tag {tag!r} must be lowercase letters, digits, - or _")
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise ValueError(f"taxonomy: tag {tag!r} needs a list of keyword strings")
        normalized = [normalize_text(k) or "" for k in keywords]
        taxonomy[tag] = [k for k in normalized if k]
    return taxonomy


def load_default_taxonomy() -> dict[str, list[str]]:
    """The taxonomy shipped with the package (transforms/taxonomy.toml)."""
    return parse_taxonomy(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))


def tags_for(text: str, taxonomy: dict[str, list[str]]) -> list[str]:
    """Tags whose keywords occur in `text` (already normalized), in taxonomy order."""
    return [tag for tag, keywords in taxonomy.items() if any(k in text for k in keywords)]
