"""`flask jobs …`: the RQ worker, the cron scheduler, and running a scheduled job by hand."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from showcase import jobs

jobs_cli = AppGroup("jobs", help="Background jobs: worker, schedule, run one now.")


def _require_rq() -> None:
    if current_app.config["JOBS"] != "rq":
        raise click.ClickException(
            "SHOWCASE_JOBS is 'inline': jobs run inside the web process and there is no queue "
            "to work on. Set SHOWCASE_JOBS=rq (and SHOWCASE_REDIS_URL) to use workers."
        )


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Also move retries whose backoff has passed back onto the queue.",
)
def worker(burst: bool, scheduler: bool) -> None:
    """Work on the job queue (SHOWCASE_JOBS=rq), with this app's configuration."""
    from rq import Worker

    _require_rq()
    # Each job runs in a forked work horse that inherits this app context; showcase.jobs.perform
    # gives it a session and database connections of its own.
    Worker([jobs.queue()], connection=jobs.redis_connection()).work(
        burst=burst, with_scheduler=scheduler
    )


@jobs_cli.command("cron")
def cron() -> None:
    """Queue the scheduled jobs (digest, reminders, resend) on their cron schedules; run one."""
    from rq.cron import CronScheduler

    _require_rq()
    scheduler = CronScheduler(connection=jobs.redis_connection())
    for scheduled in jobs.get_jobs().scheduled.values():
        scheduler.register(
            jobs.perform,
            current_app.config["JOBS_QUEUE"],
            args=(jobs.function_name(scheduled.func),),
            cron=current_app.config[scheduled.cron_setting],
            name=f"showcase-{scheduled.name}",
        )
    scheduler.start()


@jobs_cli.command("run")
@click.argument("name")
def run(name: str) -> None:
    """Run the scheduled job NAME now, in this process (for system cron with JOBS=inline)."""
    known = jobs.get_jobs().scheduled
    if name not in known:
        raise click.ClickException(f"No scheduled job {name!r}; there are: {', '.join(known)}.")
    result = jobs.run_scheduled(name)
    click.echo(f"{name}: {result}" if result is not None else f"{name}: done")


@jobs_cli.command("list")
def list_scheduled() -> None:
    """The scheduled jobs and when they run."""
    for scheduled in jobs.get_jobs().scheduled.values():
        schedule = current_app.config[scheduled.cron_setting]
        click.echo(f"{scheduled.name:<10} {schedule:<16} {scheduled.help}")
