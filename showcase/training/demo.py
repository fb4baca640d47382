"""Demo off-the-job training: a plan (hours and end date) for every demo apprenticeship, Amira's
year of approved entries (one month without any, delivered below the plan, so her line manager
has an under-delivery statement to sign) and Ben's first months (approved entries, one waiting
for the tutor, one returned with a comment).

Everything goes through the services (audited), then the timestamps are moved back to when the
activities happened, so the pages read like a real record.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.portfolios.models import Apprenticeship
from showcase.standards.services import rules_for
from showcase.standards.sufficiency import add_months
from showcase.training import services
from showcase.training.models import TrainingEntry

#: Amira's monthly activities: (month on programme, day offset, minutes, kind, description).
AMIRA_ENTRIES = [
    (0, 10, 7 * 60, "taught_session", "Induction workshop: the customer service standard."),
    (1, 5, 20 * 60, "self_study", "E-learning on knowing your customers, with notes."),
    (2, 8, 18 * 60, "shadowing", "Shadowed the service desk lead on complaint calls."),
    (3, 12, 21 * 60, "taught_session", "Workshop on dealing with conflict."),
    (4, 3, 19 * 60, "assignment", "Assignment: mapping the customer journey in store."),
    (5, 9, 22 * 60, "mentoring", "Mentoring sessions with the store manager."),
    # Month 6 has no entry: the monthly check flags it.
    (7, 14, 20 * 60, "industry_visit", "Visit to the distribution centre's customer team."),
    (8, 6, 21 * 60, "self_study", "Reading on equality and diversity in service."),
    (9, 11, 18 * 60, "taught_session", "Workshop on product and service knowledge."),
    (10, 7, 20 * 60, "writing_up", "Writing up the showcase reflections."),
    (11, 4, 19 * 60, "practical_training", "Training on the new till and returns system."),
]

#: Ben's: (days ago, minutes, kind, description, what the tutor does).
BEN_ENTRIES = [
    (110, 6 * 60, "taught_session", "Induction day: the standard and my portfolio.", "approve"),
    (80, 4 * 60 + 30, "shadowing", "Shadowed Amira on the service desk.", "approve"),
    (50, 3 * 60, "self_study", "E-learning: meeting regulations and legislation.", "approve"),
    (20, 2 * 60, "mentoring", "Mentoring with my line manager.", "return"),
    (6, 2 * 60, "taught_session", "Online workshop on communication skills.", None),
]


def _apprenticeship_of(email: str) -> Apprenticeship:
    return db.session.scalar(
        select(Apprenticeship)
        .join(User, Apprenticeship.apprentice_id == User.id)
        .where(User.email == email)
    )


def _backdate(entry: TrainingEntry, day: dt.date) -> None:
    at = dt.datetime.combine(day, dt.time(17, 0), tzinfo=dt.UTC)
    entry.created_at = entry.submitted_at = at
    if entry.reviewed_at is not None:
        entry.reviewed_at = at + dt.timedelta(days=2)


def add_demo_training(today: dt.date) -> None:
    """Plans for every demo apprenticeship and the logs of Amira and Ben (flushes)."""
    admin = db.session.scalar(select(User).where(User.email == "office@brightpath.test"))
    amira = _apprenticeship_of("amira@northgate.test")
    ben = _apprenticeship_of("ben@northgate.test")
    chloe = _apprenticeship_of("chloe@northgate.test")
    plans = (
        (amira, add_months(amira.start_date, 12), 250),
        (ben, add_months(ben.start_date, 14), 280),
        # TLII4001 (Australia): no off-the-job rule, so no planned hours; an end date only.
        (chloe, add_months(chloe.start_date, 12), None),
    )
    for apprenticeship, end, hours in plans:
        services.set_plan(admin, apprenticeship, planned_end_date=end, planned_otj_hours=hours)
    services.record_prior_learning(
        admin,
        amira,
        hours=20,
        reason="Level 2 certificate in customer service (college, 2024), checked against the "
        "'Knowing your customers' module at the initial assessment.",
    )
    refs = [u.ref for u in rules_for(amira.standard).units]
    for month, offset, minutes, kind, text in AMIRA_ENTRIES:
        # A month's hours as several entries of at most a long day each.
        for part in range(0, minutes, services.MAX_MINUTES):
            day = add_months(amira.start_date, month) + dt.timedelta(days=offset + part // 60)
            length = min(services.MAX_MINUTES, minutes - part)
            details = services.EntryDetails(day, length, kind, text, tuple(refs[month : month + 2]))
            entry = services.log_entry(amira.apprentice, amira, details, today)
            services.approve_entry(amira.tutor, entry, "")
            _backdate(entry, day)
    for days_ago, minutes, kind, text, decision in BEN_ENTRIES:
        day = today - dt.timedelta(days=days_ago)
        details = services.EntryDetails(day, minutes, kind, text, tuple(refs[:1]))
        entry = services.log_entry(ben.apprentice, ben, details, today)
        if decision == "approve":
            services.approve_entry(ben.tutor, entry, "Good: linked to the right units.")
        elif decision == "return":
            services.return_entry(
                ben.tutor,
                entry,
                "Say what you learnt in the mentoring session and which units it covered.",
            )
        _backdate(entry, day)
    db.session.flush()
