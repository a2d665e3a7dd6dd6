"""The pipeline's version, on its own so that deciding "nothing changed" needs no pyarrow.

Bumped whenever extraction, normalization or parsing changes what the datasets would contain: a
source whose PDF hash, catalog entry and pipeline version are unchanged is not re-extracted.
"""

PIPELINE_VERSION = "4"
