"""Prefect orchestration and all I/O: network, files, Parquet, artifacts and the `teian` CLI."""
