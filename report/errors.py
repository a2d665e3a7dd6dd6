"""The one exception the report raises on purpose."""


class ReportError(Exception):
    """An expected problem (no data, unknown source, page out of range): one line for the user."""
