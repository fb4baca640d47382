"""`flask apprenticeships …`."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.accounts.services import normalise_email
from showcase.portfolios import services
from showcase.standards.models import Standard

apprenticeships_cli = AppGroup("apprenticeships", help="Enrolments.")


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.BadParameter(f"No user {email}.")
    return user


@apprenticeships_cli.command("create")
@click.option("--apprentice", required=True, help="Apprentice's email.")
@click.option("--standard", required=True, help="CODE/VERSION, e.g. ST0072/AP02.")
@click.option("--start", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--line-manager", required=True, help="Line manager's email.")
@click.option("--tutor", required=True, help="Tutor's email.")
def create(
    apprentice: str, standard: str, start: dt.datetime, line_manager: str, tutor: str
) -> None:
    """Enrol an apprentice on a standard."""
    code, _, version = standard.partition("/")
    std = db.session.scalar(
        select(Standard).where(Standard.code == code, Standard.version == version)
    )
    if std is None:
        raise click.BadParameter(f"No standard {standard} is imported.", param_hint="--standard")
    item = services.create_apprenticeship(
        None,
        apprentice=_user(apprentice),
        standard=std,
        start_date=start.date(),
        line_manager=_user(line_manager),
        tutor=_user(tutor),
    )
    db.session.commit()
    click.echo(f"Apprenticeship {item.id}: {item.apprentice.name} on {std.key}")
