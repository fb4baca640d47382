"""`flask` commands: database, people, standards, storage and demo data."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from showcase import migrate
from showcase.db import get_database

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
