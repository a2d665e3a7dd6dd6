"""Pure transformations: catalog, PDF page records, Japanese normalization, parsers, schemas.

Nothing in this package touches the network, writes files or imports Prefect, so every rule about
what a table, an amount or a request item is can be tested on plain values.
"""
