"""Serve the refresh flow as a scheduled deployment on a Prefect server.

`global_limit=1` makes the server itself refuse to start a second run of the deployment while one
is running; the data-dir lock covers runs started any other way (`teian run` by hand).

Serving needs a real Prefect server: without PREFECT_API_URL, Prefect would quietly start a
temporary one that disappears with the process, taking the schedule with it. So the setup is
checked first and every problem is reported as one line.
"""

from __future__ import annotations

from prefect.schedules import Cron

from flows import defaults

DEPLOYMENT_TAGS = ["teian"]
SERVER_HINT = (
    "start one with `prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api "
    "(see README, 'Running on a schedule')"
)


class ServeSetupError(Exception):
    """Serving cannot start: no Prefect server, or a bad schedule. One line, for the user."""


def check_schedule(cron: str, timezone: str) -> None:
    """Reject a malformed cron string or an unknown timezone before anything is registered."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as exc:
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise ServeSetupError(f"--cron/--timezone: {reasons}") from None


def check_server() -> str:
    """The configured Prefect API URL, after checking that a server answers there."""
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise ServeSetupError(f"teian serve needs a Prefect server: {SERVER_HINT}")
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        raise ServeSetupError(
            f"no Prefect server answers at {url} ({problem.__class__.__name__}); {SERVER_HINT}"
        )
    return url


def serve_refresh(
    catalog: str,
    data_dir: str,
    cron: str = defaults.CRON,
    timezone: str = defaults.TIMEZONE,
    name: str = defaults.DEPLOYMENT_NAME,
) -> None:
    """Register `refresh/<name>` with a cron schedule and run its flow runs until interrupted."""
    check_schedule(cron, timezone)
    check_server()
    from flows.refresh import refresh

    refresh.serve(
        name=name,
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"catalog": catalog, "data_dir": data_dir},
        global_limit=1,
        tags=DEPLOYMENT_TAGS,
        description="Refresh every source of the teian catalog and publish its datasets.",
    )
