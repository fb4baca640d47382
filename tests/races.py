"""Two writers racing on PostgreSQL with real commits, for the tests of what the database must
guarantee when two people change one portfolio at the same moment (see test_concurrency.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import text

from showcase import db
from showcase.db import get_database

#: How long the first writer waits for the second to block or finish before the test fails.
WAIT_SECONDS = 30


def _wait_until_blocked_or_done(app: Flask, pid: list[int], done: threading.Event) -> None:
    """Return once backend ``pid`` waits for a lock (a row lock, the audit chain's advisory
    lock…) or its writer has finished. A fixed sleep is not enough: on a loaded machine the
    second writer may not have reached its check when the first commits, and the race is lost
    without anyone noticing. Polled on a connection of its own; pg_locks is read live."""
    deadline = time.monotonic() + WAIT_SECONDS
    with get_database(app).engine.connect() as conn:
        while not done.is_set():
            if pid:
                waiting = conn.execute(
                    text("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = :pid AND NOT granted)"),
                    {"pid": pid[0]},
                ).scalar_one()
                conn.rollback()
                if waiting:
                    return
            if time.monotonic() > deadline:
                raise AssertionError("the second writer neither waited for a lock nor finished")
            time.sleep(0.01)


def race(app: Flask, first: Callable[[], None], second: Callable[[], None]) -> list[BaseException]:
    """Run ``first`` (flush, then hold the transaction) and ``second`` (starts in that window),
    each in its own thread, app context and session; commit each. ``first`` commits only once
    ``second`` waits for a lock or is done. Returns what they raised."""
    first_flushed, second_done = threading.Event(), threading.Event()
    second_pid: list[int] = []
    errors: list[BaseException] = []

    def run_first() -> None:
        with app.app_context():
            first()
            db.session.flush()
            first_flushed.set()
            _wait_until_blocked_or_done(app, second_pid, second_done)
            db.session.commit()

    def run_second() -> None:
        try:
            with app.app_context():
                connection = db.session.connection()
                second_pid.append(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar())
                first_flushed.wait(10)
                second()
                db.session.commit()
        finally:
            second_done.set()

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as error:  # reported to the test, not lost in the thread
                errors.append(error)

        return run

    threads = [threading.Thread(target=guarded(t)) for t in (run_first, run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS + 30)
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    return errors
