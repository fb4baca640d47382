"""`flask` commands: database, people, standards, storage and demo data."""

from __future__ import annotations

import functools
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from showcase import migrate
from showcase.db import get_database
from showcase.errors import ShowcaseError

NO_SCHEMA = (
    "The database has no schema yet (or an older one): run `flask --app wsgi db upgrade` first."
)

db_cli = AppGroup("db", help="Create or upgrade the database schema (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema to REVISION (default: every head)."""
    migrate.upgrade(get_database().engine, revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION ('base' removes every table)."""
    migrate.downgrade(get_database().engine, revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    migrate.check(get_database().engine)
    click.echo("Models and migrations agree.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    migrate.revision(get_database().engine, message)


def _missing_table(error: Exception) -> bool:
    """SQLite's "no such table" or PostgreSQL's undefined_table (42P01)."""
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) == "42P01" or "no such table" in str(orig)


def explain_errors(group: click.Group) -> None:
    """Make every command of ``group`` answer a domain refusal or a database without schema
    with one line (``Error: …``, exit status 1) instead of a traceback.

    Wrapping the group's ``invoke`` covers its commands whichever way they are run (``flask``
    itself, or the test runner through ``app.cli``).
    """
    if getattr(group, "_explains_errors", False):
        return
    invoke = group.invoke

    @functools.wraps(invoke)
    def _invoke(ctx: click.Context) -> Any:
        try:
            return invoke(ctx)
        except ShowcaseError as error:
            raise click.ClickException(error.message) from None
        except (OperationalError, ProgrammingError) as error:
            if not _missing_table(error):
                raise
            raise click.ClickException(NO_SCHEMA) from None

    group.invoke = _invoke  # type: ignore[method-assign]
    group._explains_errors = True  # type: ignore[attr-defined]


def init_cli(app: Flask) -> None:
    from showcase.accounts.cli import orgs_cli, users_cli
    from showcase.audit.cli import audit_cli
    from showcase.demo import demo_cli
    from showcase.portfolios.cli import apprenticeships_cli
    from showcase.standards.cli import standards_cli
    from showcase.submissions.cli import submissions_cli

    for group in (db_cli, orgs_cli, users_cli, apprenticeships_cli, standards_cli, demo_cli):
        app.cli.add_command(group)
    app.cli.add_command(submissions_cli)
    app.cli.add_command(audit_cli)
    from showcase.evidence.storage_cli import storage_cli

    app.cli.add_command(storage_cli)
    from showcase.coverage.cli import coverage_cli

    app.cli.add_command(coverage_cli)
    from showcase.jobs.cli import jobs_cli

    app.cli.add_command(jobs_cli)
    # Last: every group added above, whoever added it.
    for command in app.cli.commands.values():
        if isinstance(command, click.Group):
            explain_errors(command)
