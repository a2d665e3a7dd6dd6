"""What a user sees in the Prefect UI after `teian run` against their own server: task runs named
by what they do, and the run's log lines in the Logs tab without `--verbose`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.prefect_server import ROOT, base_env, start_prefect_server, stop_process


@pytest.mark.server
def test_task_runs_are_named_and_run_logs_reach_the_ui(
    sample_catalog: Path, tmp_path: Path
) -> None:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )

    home = tmp_path / "prefect-home"
    server, api = start_prefect_server(home, tmp_path / "server.log")
    if not api:
        log = (tmp_path / "server.log").read_text(errors="replace")[-2000:]
        pytest.skip(f"`prefect server start` did not become healthy; its log ends:\n{log}")
    env = {**base_env(home), "PREFECT_API_URL": api}
    env.pop("PREFECT_LOGGING_LEVEL")  # the user's default: nothing set
    try:
        result = subprocess.run(
            [sys.executable, "-m", "flows", "run", "--catalog", str(sample_catalog)]
            + ["--data-dir", str(tmp_path / "data")],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "| INFO" not in result.stderr  # the terminal keeps only our summary
        with SyncPrefectClient(api) as client:
            [flow_run] = client.read_flow_runs()
            runs = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id]))
            names = {t.name for t in client.read_task_runs(flow_run_filter=runs)}
            logs = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run.id]))
            )
    finally:
        stop_process(server)
    # `teian run` fetches before it decides whether a flow is needed, so the flow's task runs
    # start at extraction; a served run fetches in a task of its own (tests/test_serve.py)
    assert not any(name.startswith("fetch ") for name in names), sorted(names)
    for expected in (
        "extract sample-teian-r7 p.1–4",
        "normalize sample-budget-r8",
        "parse sample-teian-r7 (teian)",
        "publish sample-budget-r8",
    ):
        assert expected in names, sorted(names)
    messages = [log.message for log in logs]
    assert any("sample-budget-r8: published" in m for m in messages), messages
