"""Serve the refresh flow as a scheduled deployment on a Prefect server.

`global_limit=1` makes the server itself refuse to start a second run of the deployment while one
is running; the data-dir lock covers runs started any other way (`teian run` by hand).
"""

from __future__ import annotations

import os

from prefect.schedules import Cron

from flows.refresh import refresh

DEPLOYMENT_TAGS = ["teian"]


def serve_refresh(catalog: str, data_dir: str, cron: str, timezone: str, name: str = "weekly") -> None:
    """Register `refresh/<name>` with a cron schedule and run its flow runs until interrupted."""
    if not os.environ.get("PREFECT_API_URL"):
        print(
            "teian serve needs a Prefect server: start one with `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api (see README, 'Running on a schedule')."
        )
    refresh.serve(
        name=name,
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"catalog": catalog, "data_dir": data_dir},
        global_limit=1,
        tags=DEPLOYMENT_TAGS,
        description="Refresh every source of the teian catalog and publish its datasets.",
    )
