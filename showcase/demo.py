"""`flask demo load`: a realistic demo so the first README command shows the product."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import select

from showcase import db
from showcase.accounts import services as accounts
from showcase.accounts.models import Organisation, OrganisationKind, Role, User
from showcase.portfolios import services as portfolios
from showcase.standards import services as standards
from showcase.standards.loaders import get_standard_or_404

demo_cli = AppGroup("demo", help="Demonstration data.")

#: Every demo account signs in with this password (demo only; shown on the console).
DEMO_PASSWORD = "showcase-demo"  # noqa: S105


def _months_ago(months: int, today: dt.date) -> dt.date:
    year, month = divmod(today.month - 1 - months, 12)
    return dt.date(today.year + year, month + 1, min(today.day, 28))


def load_demo(today: dt.date | None = None) -> list[User]:
    """Create the demo organisations, people and apprenticeships (flushes; caller commits)."""
    today = today or dt.date.today()
    standards.import_bundled()
    st0072 = get_standard_or_404("ST0072")
    tlii = get_standard_or_404("TLII4001")

    def org(name: str, kind: OrganisationKind) -> Organisation:
        return accounts.create_organisation(None, name=name, kind=kind)

    employer = org("Northgate Retail Ltd", OrganisationKind.EMPLOYER)
    provider = org("Brightpath Training", OrganisationKind.TRAINING_PROVIDER)
    assessment_org = org("Independent EPA Services", OrganisationKind.ASSESSMENT_ORGANISATION)

    def person(email: str, name: str, role: Role, organisation: Organisation | None) -> User:
        return accounts.create_user(
            None,
            email=email,
            name=name,
            role=role,
            organisation=organisation,
            password=DEMO_PASSWORD,
        )

    people = [
        person("admin@showcase.test", "Pat Admin", Role.ADMIN, None),
        person("hr@northgate.test", "Helen Reyes", Role.ADMIN, employer),
        person("office@brightpath.test", "Omar Farouk", Role.ADMIN, provider),
        person("office@epa.test", "Eve Price", Role.ADMIN, assessment_org),
        amira := person("amira@northgate.test", "Amira Khan", Role.APPRENTICE, employer),
        ben := person("ben@northgate.test", "Ben Turner", Role.APPRENTICE, employer),
        chloe := person("chloe@northgate.test", "Chloe Nguyen", Role.APPRENTICE, employer),
        manager := person("manager@northgate.test", "Marcus Lee", Role.EMPLOYER_CONTACT, employer),
        tutor := person("tutor@brightpath.test", "Tara Singh", Role.TUTOR, provider),
        person("assessor@epa.test", "Alex Morgan", Role.ASSESSOR, assessment_org),
        person("iqa@epa.test", "Quinn Adams", Role.QUALITY_ASSURER, assessment_org),
    ]
    for apprentice, standard, months in (
        (amira, st0072, 13),  # past the 12-month gateway minimum
        (ben, st0072, 4),  # between the 3- and 6-month reviews
        (chloe, tlii, 7),
    ):
        portfolios.create_apprenticeship(
            None,
            apprentice=apprentice,
            standard=standard,
            start_date=_months_ago(months, today),
            line_manager=manager,
            tutor=tutor,
        )
    from showcase.demo_portfolio import add_demo_evidence, add_demo_showcase
    from showcase.reviews.demo import add_demo_reviews

    add_demo_evidence(today)
    add_demo_reviews(today)
    from showcase.evidence.demo import add_demo_staff_records

    add_demo_staff_records(today)
    from showcase.witnesses.demo import add_demo_witnesses

    add_demo_witnesses(today)  # before the lock: Amira's signed statement is in her showcase
    add_demo_showcase(today)
    from showcase.training.demo import add_demo_training

    add_demo_training(today)
    from showcase.standards.demo import add_demo_supplement

    add_demo_supplement()  # after Amira's grade: an illustrative example, labelled as one
    from showcase.assessment.demo import add_demo_assessment_in_progress

    add_demo_assessment_in_progress(today)  # Jordan's showcase, part-judged by the assessor
    return people


@demo_cli.command("load")
def load() -> None:
    """Load the demo (once) and print how to sign in."""
    existing = db.session.scalar(select(User).where(User.email == "admin@showcase.test"))
    if existing is None:
        people = load_demo()
        db.session.commit()
        click.echo("Demo data loaded.")
    else:
        people = list(
            db.session.scalars(select(User).where(User.email.like("%.test")).order_by(User.id))
        )
        click.echo("Demo data is already loaded.")
    click.echo(f"\nSign in with any of these (password: {DEMO_PASSWORD}):")
    for user in people:
        click.echo(f"  {user.email:<26} {user.role.label}")
