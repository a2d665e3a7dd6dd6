"""Defaults a user can override, declared once: the CLI's options, the flow's parameters and the
deployment's schedule all read them from here."""

from __future__ import annotations

CATALOG = "sources.toml"
DATA_DIR = "data"
# A batch of pages gets this long in its guarded worker before it is given up (seconds).
TIME_LIMIT_SECONDS = 900.0
# Address space of one extraction worker (MB): pdfminer keeps what it parses of a page.
MEMORY_LIMIT_MB = 3072
# A document's batches together get this long (seconds), however many they are.
DOCUMENT_TIME_LIMIT_SECONDS = 3600.0
# Pages read by OCR (Tesseract): auto = only pages without a text layer; off; force = every page.
OCR_MODE = "auto"
# Resolution pages are rendered at for OCR (dots per inch).
OCR_DPI = 300
# One HTTP read may wait this long (seconds).
FETCH_TIMEOUT_SECONDS = 60.0
# A whole fetch (every read, redirects, the archived copy) ends after this long (seconds):
# 200 MB, the size cap, at 0.5 MB/s.
FETCH_DEADLINE_SECONDS = 400.0
# `teian report`: a guarded worker renders up to 32 page images (about a second's work) within
# this long (seconds) and this much address space (MB).
RENDER_TIME_LIMIT_SECONDS = 120.0
RENDER_MEMORY_LIMIT_MB = 2048
# `teian serve`: Mondays 06:00, Tokyo time.
CRON = "0 6 * * 1"
TIMEZONE = "Asia/Tokyo"
DEPLOYMENT_NAME = "weekly"
