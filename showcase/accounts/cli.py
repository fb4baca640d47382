"""`flask orgs …` and `flask users …`: set-up and recovery without the web pages."""

from __future__ import annotations

import click
from flask import current_app, url_for
from flask.cli import AppGroup
from sqlalchemy import select

from showcase import db
from showcase.accounts import memberships, services
from showcase.accounts.models import Organisation, OrganisationKind, Role, User

orgs_cli = AppGroup("orgs", help="Organisations.")
users_cli = AppGroup("users", help="People and their roles.")


@orgs_cli.command("create")
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in OrganisationKind]), required=True)
def create_org(name: str, kind: str) -> None:
    """Create an organisation."""
    org = services.create_organisation(None, name=name, kind=OrganisationKind(kind))
    db.session.commit()
    click.echo(f"Organisation {org.id}: {org.name} ({org.kind.label})")


@orgs_cli.command("list")
def list_orgs() -> None:
    """List organisations."""
    for org in db.session.scalars(select(Organisation).order_by(Organisation.id)):
        click.echo(f"{org.id}\t{org.kind.value}\t{org.name}")


def invitation_url(token: str) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for("accounts.accept_invitation", token=token, _external=True)


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--org", "org_id", type=int, help="Organisation id (omit for a platform admin).")
@click.option("--password", help="Set a password now instead of printing an invitation link.")
def create_user(email: str, name: str, role: str, org_id: int | None, password: str | None) -> None:
    """Create a user and print their invitation link."""
    org = db.session.get(Organisation, org_id) if org_id else None
    if org_id and org is None:
        raise click.BadParameter(f"No organisation {org_id}.", param_hint="--org")
    user = services.create_user(
        None, email=email, name=name, role=Role(role), organisation=org, password=password
    )
    link = None
    if password is None:
        token = services.issue_invitation(
            None, user, ttl_hours=current_app.config["INVITATION_TTL_HOURS"]
        )
        link = invitation_url(token)
    db.session.commit()
    click.echo(f"User {user.id}: {user.email} ({user.role.label})")
    if link:
        click.echo(f"Invitation link: {link}")


@users_cli.command("invite")
@click.argument("email")
def invite(email: str) -> None:
    """Print a fresh invitation link (also a password reset)."""
    user = db.session.scalar(select(User).where(User.email == services.normalise_email(email)))
    if user is None:
        raise click.BadParameter(f"No user {email}.")
    token = services.issue_invitation(
        None, user, ttl_hours=current_app.config["INVITATION_TTL_HOURS"]
    )
    db.session.commit()
    click.echo(invitation_url(token))


@users_cli.command("history")
@click.argument("email")
def history(email: str) -> None:
    """A person's organisations, from when to when."""
    user = db.session.scalar(select(User).where(User.email == services.normalise_email(email)))
    if user is None:
        raise click.BadParameter(f"No user {email}.")
    for m in memberships.history_of(user):
        click.echo(f"{m.organisation.name}\t{m.role.label}\t{m.period}")
