"""`flask apprenticeships …`."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import select

from showcase import db
from showcase.accounts.cli import users_cli
from showcase.accounts.models import Organisation, Role, User
from showcase.accounts.services import normalise_email
from showcase.portfolios import services
from showcase.portfolios.models import Apprenticeship, PartyRole
from showcase.portfolios.moves import move_user
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


def _apprenticeship(apprenticeship_id: int) -> Apprenticeship:
    item = db.session.get(Apprenticeship, apprenticeship_id)
    if item is None:
        raise click.BadParameter(f"No apprenticeship {apprenticeship_id}.")
    return item


@apprenticeships_cli.command("change")
@click.argument("apprenticeship_id", type=int)
@click.option("--tutor", help="New tutor's email (of the same training provider).")
@click.option("--line-manager", help="New line manager's email (of the same employer).")
def change(apprenticeship_id: int, tutor: str | None, line_manager: str | None) -> None:
    """Hand the tutor or line manager role to someone else (kept in the history, audited)."""
    if not tutor and not line_manager:
        raise click.UsageError("Give --tutor, --line-manager or both.")
    item = _apprenticeship(apprenticeship_id)
    for role, email in ((PartyRole.TUTOR, tutor), (PartyRole.LINE_MANAGER, line_manager)):
        if email:
            row = services.change_party(None, item, role, _user(email))
            click.echo(f"{row.user.name} is now the {role.label} ({row.period}).")
    db.session.commit()


@apprenticeships_cli.command("parties")
@click.argument("apprenticeship_id", type=int)
def list_parties(apprenticeship_id: int) -> None:
    """Every tutor and line manager of an apprenticeship, from when to when."""
    for row in services.party_history(_apprenticeship(apprenticeship_id)):
        click.echo(f"{row.role.value}\t{row.user.name}\t{row.period}")


# `flask users move` belongs to the users group but needs the apprenticeship roles, so it is
# added to that group from here (portfolios builds on accounts, not the other way round).
@users_cli.command("move")
@click.argument("email")
@click.option("--org", "org_id", type=int, required=True, help="The new organisation's id.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    help="Their role there, when their current role does not fit it (e.g. assessor).",
)
def move(email: str, org_id: int, role: str | None) -> None:
    """Move a person to another organisation (their membership history is kept, audited)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.BadParameter(f"No user {email}.")
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise click.BadParameter(f"No organisation {org_id}.", param_hint="--org")
    move_user(None, user, org, role=Role(role) if role else None)
    db.session.commit()
    click.echo(f"{user.email} moved to {org.name} as {user.role.label}.")
