"""Background jobs: asked for inside a transaction, started only once it has committed.

``enqueue(func, *args)`` notes the job on the current session. When that session commits, the
jobs noted on it start: with ``JOBS=inline`` (the embedded default) each runs in this process at
once, in a session and transaction of its own; with ``JOBS=rq`` each goes onto the Redis queue
for ``flask jobs worker`` processes on any host, with RQ's ``Retry`` and backoff. A rollback
drops them, so no job ever acts on a change that did not happen. One place does this (a session
``after_commit`` listener), so no view or service starts a job itself.

Jobs take ids and other plain values, never objects: they run later, perhaps on another host,
and re-read their rows. Each must be idempotent, because a failed job is retried and the resend
sweep may queue one that is already queued. ``perform`` is the one function RQ is given: it
finds the app (or makes one, in a bare ``rq worker``), runs the job and commits once.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.utils import import_string

from showcase import db
from showcase.db import get_database

log = logging.getLogger(__name__)

MODES = ("inline", "rq")
#: ``Session.info`` key of the jobs waiting for the session's commit.
PENDING = "showcase.jobs.pending"


@dataclass(frozen=True)
class PendingJob:
    #: ``module:function`` of a module-level function.
    name: str
    args: tuple[Any, ...]
    #: A stable RQ job id (e.g. one per email), so a job queued twice shows as one.
    job_id: str | None = None


@dataclass(frozen=True)
class ScheduledJob:
    """A job run on a cron schedule (``flask jobs cron``) or by hand (``flask jobs run``)."""

    name: str
    func: Callable[[], Any]
    #: The config key holding its cron expression.
    cron_setting: str
    help: str


@dataclass
class Jobs:
    """The job settings and scheduled jobs of one app (``app.extensions["showcase.jobs"]``)."""

    scheduled: dict[str, ScheduledJob] = field(default_factory=dict)
    redis: Any = None


def function_name(func: Callable[..., Any]) -> str:
    """``module:qualname``, refusing what a worker could not import by name."""
    name = f"{func.__module__}:{func.__qualname__}"
    if "<" in name:
        raise ValueError(f"{name} is not a module-level function; jobs must be importable.")
    return name


def enqueue(func: Callable[..., Any], *args: Any, job_id: str | None = None) -> None:
    """Run ``func(*args)`` as a job once the current transaction commits (dropped on rollback)."""
    db.session.info.setdefault(PENDING, []).append(PendingJob(function_name(func), args, job_id))


def schedule(
    app: Flask, name: str, func: Callable[[], Any], *, cron_setting: str, help: str
) -> None:
    """Register a job that runs on the cron schedule in ``app.config[cron_setting]``."""
    get_jobs(app).scheduled[name] = ScheduledJob(name, func, cron_setting, help)


def get_jobs(app: Flask | None = None) -> Jobs:
    return (app or current_app).extensions["showcase.jobs"]


def init_jobs(app: Flask) -> None:
    """Start the jobs a session noted once it commits; forget them when its transaction ends."""
    if app.config["JOBS"] not in MODES:
        raise RuntimeError(f"JOBS must be one of {', '.join(MODES)}, not {app.config['JOBS']!r}.")
    app.extensions["showcase.jobs"] = Jobs()
    factory = get_database(app).sessionmaker

    @event.listens_for(factory, "after_commit")
    def _start_after_commit(session: Session) -> None:
        jobs = session.info.pop(PENDING, None)
        if jobs:
            start(jobs)

    @event.listens_for(factory, "after_transaction_end")
    def _drop_on_rollback(session: Session, transaction: SessionTransaction) -> None:
        # Runs after after_commit on a commit (nothing left by then) and alone on a rollback.
        if transaction.parent is None:
            session.info.pop(PENDING, None)


def start(jobs: list[PendingJob]) -> None:
    """Start committed jobs the configured way. Never raises: the change they follow is done."""
    if current_app.config["JOBS"] == "rq":
        for job in jobs:
            try:
                put_on_queue(job)
            except Exception:
                # Redis unreachable: the rows the job would read are committed, and each job's
                # owner has a sweep that finds unfinished work (e.g. unsent emails) and queues
                # it again, so this is late rather than lost.
                log.exception(
                    "Job %s%r could not be queued; the sweep will retry", job.name, job.args
                )
        return
    for job in jobs:
        with own_session():
            try:
                run(job.name, job.args)
            except Exception:
                log.exception(
                    "Job %s%r failed in-process; the sweep will retry", job.name, job.args
                )


def redis_connection() -> Any:
    """The Redis connection of the job queue (one per app and process)."""
    from redis import Redis

    jobs = get_jobs()
    if jobs.redis is None:
        jobs.redis = Redis.from_url(
            current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=10
        )
    return jobs.redis


def queue() -> Any:
    from rq import Queue

    return Queue(current_app.config["JOBS_QUEUE"], connection=redis_connection())


def put_on_queue(job: PendingJob) -> Any:
    """Put one job on the RQ queue, to be retried with the configured backoff when it fails."""
    from rq import Retry

    intervals = list(current_app.config["JOBS_RETRY_INTERVALS"])
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    return queue().enqueue_call(
        func=perform, args=(job.name, *job.args), job_id=job.job_id, retry=retry
    )


@contextlib.contextmanager
def own_session() -> Iterator[None]:
    """Give the code inside a new session of its own (closed afterwards), then put back the
    session that was current. Inline jobs run inside the request (or command) whose commit
    started them, and must not share its session: that one is still finishing its commit."""
    holder = request.__dict__ if has_request_context() else g.__dict__
    saved = holder.pop("_db_session", None)
    try:
        yield
    finally:
        mine = holder.pop("_db_session", None)
        if mine is not None:
            mine.close()
        if saved is not None:
            holder["_db_session"] = saved


def run(name: str, args: tuple[Any, ...]) -> Any:
    """Run one job in the current session and commit once; roll back and re-raise on failure."""
    func = import_string(name.replace(":", "."))
    try:
        result = func(*args)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


_pid_of_pool: int | None = None


def perform(name: str, *args: Any) -> Any:
    """What RQ runs: ``name(*args)`` inside an app context, in a session of its own."""
    global _pid_of_pool
    if not has_app_context():
        # A bare `rq worker` (rather than `flask jobs worker`): build the app from SHOWCASE_*.
        from showcase import create_app

        with create_app().app_context():
            return perform(name, *args)
    if _pid_of_pool != os.getpid():
        # RQ forks a work horse per job; connections inherited from the parent must not be
        # used by both (SQLAlchemy's "using connection pools with multiprocessing").
        get_database().engine.dispose(close=False)
        _pid_of_pool = os.getpid()
    with own_session():
        return run(name, args)


def run_scheduled(name: str) -> Any:
    """Run the scheduled job ``name`` now, in this process (``flask jobs run``, RQ's cron)."""
    scheduled = get_jobs().scheduled.get(name)
    if scheduled is None:
        raise KeyError(name)
    with own_session():
        return run(function_name(scheduled.func), ())
