"""Defaults a user can override, declared once: the CLI's options, the flow's parameters and the
deployment's schedule all read them from here."""

from __future__ import annotations

CATALOG = "sources.toml"
DATA_DIR = "data"
# A batch of pages gets this long in its guarded worker before it is given up (seconds).
TIME_LIMIT_SECONDS = 900.0
# Address space of one extraction worker (MB): pdfminer keeps what it parses of a page.
MEMORY_LIMIT_MB = 3072
# Pages read by OCR (Tesseract): auto = only pages without a text layer; off; force = every page.
OCR_MODE = "auto"
# Resolution pages are rendered at for OCR (dots per inch).
OCR_DPI = 300
# One HTTP read may wait this long (seconds).
FETCH_TIMEOUT_SECONDS = 60.0
# `teian serve`: Mondays 06:00, Tokyo time.
CRON = "0 6 * * 1"
TIMEZONE = "Asia/Tokyo"
DEPLOYMENT_NAME = "weekly"
