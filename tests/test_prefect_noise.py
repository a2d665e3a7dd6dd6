"""Prefect's own noise kept off the terminal: a run over hundreds of sources ends with one line
per failed source and no traceback (the temporary server used to print its shutdown errors
after the summary), and a temporary server that does not start is one line, not a traceback."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import teian


def test_a_run_over_many_sources_ends_without_prefect_tracebacks(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        "".join(
            f'[[source]]\nid = "s{n:04d}"\ntitle = "s{n}"\nurl = "missing-{n}.pdf"\n\n'
            for n in range(600)
        ),
        encoding="utf-8",
    )
    result = teian("run", "--catalog", str(catalog), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "CancelledError" not in output, output[-3000:]
    failed = [line for line in result.stderr.splitlines() if ": fetch: file not found: " in line]
    assert len(failed) == 600


def test_a_temporary_server_that_does_not_start_is_one_line(
    sample_catalog: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "0")
    result = teian("run", "--catalog", str(sample_catalog), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("run failed: the temporary Prefect server did not start")
