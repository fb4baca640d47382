"""Notifications: audit events → who is told, email choices, the digest and reminders, the list,
marking read, the navigation's count, and unsubscribing without signing in.

Jobs run inline here (the development default): a view's commit sends its emails to the outbox.
tests/functional/test_jobs.py runs the same through a real RQ worker and a real SMTP server.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import Role
from showcase.assessment.models import Assessment
from showcase.audit.services import record
from showcase.evidence.models import EvidenceKind
from showcase.mail.jobs import deliver_email
from showcase.mail.models import EmailDelivery, OutboxMessage
from showcase.notifications import services
from showcase.notifications.jobs import send_digests, send_reminders
from showcase.notifications.models import EmailMode, Kind, Notification
from showcase.reviews import services as reviews
from showcase.standards.sufficiency import add_months
from tests.conftest import sign_in
from tests.factories import (
    accept,
    add_item,
    build_journey,
    prepare,
    refs,
    sign_all,
    tag,
    write_own_sections,
)


def told(user, kind: Kind | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.recipient_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def delivery_of(notification: Notification) -> EmailDelivery | None:
    if notification.email_delivery_id is None:
        return None
    return db.session.get(EmailDelivery, notification.email_delivery_id)


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


# ---- events → notifications ------------------------------------------------------------


def test_a_tag_sent_back_tells_the_apprentice_at_once_and_no_one_else(portfolio) -> None:
    item = add_item(portfolio, EvidenceKind.WITNESS_STATEMENT)
    ref = refs(portfolio)[0]
    accept(tag(item, ref), yes=False)
    (notification,) = told(portfolio.apprentice)
    assert notification.kind is Kind.TAG_SENT_BACK
    assert notification.subject == f"Your tag {ref} was sent back"
    assert notification.link == f"/evidence/{item.id}"
    assert notification.apprenticeship_id == portfolio.id
    delivery = delivery_of(notification)
    assert delivery.to_address == portfolio.apprentice.email
    assert delivery.subject == notification.subject and delivery.sent_at is None
    # The tutor acted and the line manager is not concerned.
    assert told(portfolio.tutor) == [] and told(portfolio.line_manager) == []


def test_an_accepted_tag_waits_for_the_daily_digest(portfolio) -> None:
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), refs(portfolio)[0]))
    (notification,) = told(portfolio.apprentice, Kind.TAG_ACCEPTED)
    assert notification.email_mode is EmailMode.DIGEST and delivery_of(notification) is None


def test_a_review_waits_for_those_who_have_not_signed_then_tells_everyone(portfolio) -> None:
    portfolio.start_date = add_months(dt.date.today(), -4)
    review = reviews.ensure_review(portfolio.tutor, portfolio, 3)
    write_own_sections(review)  # all three, before anybody signs
    reviews.sign_review(portfolio.tutor, review)
    assert told(portfolio.tutor) == []
    for person in (portfolio.apprentice, portfolio.line_manager):
        (waiting,) = told(person, Kind.REVIEW_WAITING)
        assert "3-month progress review is waiting for your signature" in waiting.subject
        assert waiting.link == f"/apprenticeships/{portfolio.id}/reviews/3"
        # No meeting time on reviews yet, so no calendar invitation.
        assert delivery_of(waiting).attachments == []
    reviews.sign_review(portfolio.apprentice, review)
    # The line manager's first one is still unread: one is enough.
    assert len(told(portfolio.line_manager, Kind.REVIEW_WAITING)) == 1
    reviews.sign_review(portfolio.line_manager, review)
    assert [n.kind for n in told(portfolio.line_manager)] == [Kind.REVIEW_WAITING]
    for person in (portfolio.apprentice, portfolio.tutor):
        (signed,) = told(person, Kind.REVIEW_SIGNED)
        assert signed.email_mode is EmailMode.DIGEST


def test_gateway_sign_offs_tell_the_apprentice_and_the_other_party(make) -> None:
    journey = build_journey(make)
    _, _, people, _ = journey
    prepare(journey)  # the line manager signs off, then the tutor
    gateway = {
        p: [n.subject for n in told(people[p], Kind.GATEWAY_SIGNED_OFF)]
        for p in ("apprentice", "manager", "tutor")
    }
    assert gateway["apprentice"] == [
        "The gateway was signed off by the employer",
        "The gateway was signed off by the training provider",
    ]
    assert gateway["tutor"] == ["The gateway was signed off by the employer"]
    assert gateway["manager"] == ["The gateway was signed off by the training provider"]


def test_lock_assignment_and_grade_tell_the_right_people(make) -> None:
    journey = build_journey(make)
    item, _, people, _ = journey
    draft = prepare(journey)
    record(people["apprentice"], "submission.locked", draft, apprenticeship_id=item.id, version=1)
    assessment = Assessment(
        submission=draft, assessor=people["assessor"], assigned_by_id=people["ao_admin"].id
    )
    db.session.add(assessment)
    db.session.flush()
    record(people["ao_admin"], "assessment.assigned", assessment, apprenticeship_id=item.id)
    record(people["assessor"], "assessment.graded", assessment, apprenticeship_id=item.id)
    # Confirmed is not released: quality assurance may still sample it.
    assert not told(people["apprentice"], Kind.GRADE_RELEASED)
    record(people["qa"], "assessment.released", assessment, apprenticeship_id=item.id)
    assert [n.subject for n in told(people["assessor"])] == [
        "A showcase was assigned to you for assessment"
    ]
    assert told(people["assessor"])[0].link == f"/assessments/{assessment.id}"
    for person in ("manager", "tutor"):
        kinds = [n.kind for n in told(people[person])]
        assert Kind.SHOWCASE_LOCKED in kinds and Kind.GRADE_RELEASED in kinds
    apprentice_kinds = [n.kind for n in told(people["apprentice"])]
    assert Kind.SHOWCASE_LOCKED not in apprentice_kinds  # they locked it themselves
    assert Kind.GRADE_RELEASED in apprentice_kinds
    assert told(people["qa"]) == [] and told(people["other_assessor"]) == []


def test_notifications_roll_back_with_the_change(app, portfolio) -> None:
    nested = db.session.begin_nested()
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), refs(portfolio)[0]), False)
    assert len(told(portfolio.apprentice)) == 1
    nested.rollback()
    assert told(portfolio.apprentice) == []
    assert db.session.scalar(select(func.count()).select_from(EmailDelivery)) == 0


# ---- choices ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "emailed"),
    [(EmailMode.IMMEDIATELY, True), (EmailMode.DIGEST, False), (EmailMode.OFF, False)],
)
def test_each_person_chooses_per_kind(portfolio, mode, emailed) -> None:
    services.set_preferences(portfolio.apprentice, {Kind.TAG_SENT_BACK: mode})
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), refs(portfolio)[0]), False)
    (notification,) = told(portfolio.apprentice)
    assert notification.email_mode is mode
    assert (delivery_of(notification) is not None) is emailed


def test_the_settings_page_saves_a_choice_per_kind(client, portfolio) -> None:
    sign_in(client, portfolio.apprentice)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "A tag is sent back" in page and "Daily digest" in page
    data = {kind.value: "immediately" for kind in Kind}
    data["tag_accepted"] = "off"
    assert client.post("/notifications/settings", data=data).status_code == 302
    chosen = services.preferences(portfolio.apprentice)
    assert chosen[Kind.TAG_ACCEPTED] is EmailMode.OFF
    assert chosen[Kind.REVIEW_SIGNED] is EmailMode.IMMEDIATELY
    data["tag_accepted"] = "loudly"
    assert client.post("/notifications/settings", data=data).status_code == 200
    assert services.preferences(portfolio.apprentice)[Kind.TAG_ACCEPTED] is EmailMode.OFF


# ---- the email itself ----------------------------------------------------------------------


def test_the_email_says_why_links_and_unsubscribes_in_one_click(client, portfolio) -> None:
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), refs(portfolio)[0]), False)
    (notification,) = told(portfolio.apprentice)
    delivery = delivery_of(notification)
    assert "because your tutor sent back one of your tags" in delivery.text
    assert f"http://127.0.0.1:5000{notification.link}" in delivery.text
    # No more personal data than needed: no names, no organisation, no tutor's comment.
    for private in (portfolio.apprentice.name, portfolio.tutor.name, portfolio.employer.name):
        assert private not in delivery.text and private not in delivery.subject
    assert "More detail." not in delivery.text
    assert delivery.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (url,) = re.fullmatch(r"<(.+)>", delivery.headers["List-Unsubscribe"]).groups()
    assert url in delivery.text
    path = url.removeprefix("http://127.0.0.1:5000")
    # Not signed in. A GET (a link scanner) changes nothing and shows one button.
    page = client.get(path)
    assert page.status_code == 200 and "<button" in page.get_data(as_text=True)
    assert services.preferences(portfolio.apprentice)[Kind.TAG_SENT_BACK] is EmailMode.IMMEDIATELY
    # The mail client's RFC 8058 one-click POST: no CSRF token, no session.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "no longer email you" in done.get_data(as_text=True)
    assert services.preferences(portfolio.apprentice)[Kind.TAG_SENT_BACK] is EmailMode.OFF
    # Other kinds are untouched.
    assert services.preferences(portfolio.apprentice)[Kind.REVIEW_WAITING] is EmailMode.IMMEDIATELY


@pytest.mark.parametrize("token", ["nonsense", "WzEsInRhZ19zZW50X2JhY2siXQ.forged"])
def test_a_forged_unsubscribe_link_is_not_found(client, token) -> None:
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 404


def test_delivery_is_sent_once_to_the_outbox(portfolio) -> None:
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), refs(portfolio)[0]), False)
    delivery = delivery_of(told(portfolio.apprentice)[0])
    assert deliver_email(delivery.id) == "sent"
    assert deliver_email(delivery.id) == "already sent"  # a retried job
    (message,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == portfolio.apprentice.email)
    ).all()
    assert message.subject == delivery.subject
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_view_commit_sends_the_email_after_it(client, portfolio) -> None:
    item = add_item(portfolio, EvidenceKind.WITNESS_STATEMENT)
    new_tag = tag(item, refs(portfolio)[0])
    sign_in(client, portfolio.tutor)
    response = client.post(
        f"/tags/{new_tag.id}/review",
        data={"review-decision": "send_back", "review-comment": "More please."},
    )
    assert response.status_code in (200, 302, 303)
    (notification,) = told(portfolio.apprentice)
    assert delivery_of(notification).sent_at is not None  # the inline job ran after commit
    assert db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to == portfolio.apprentice.email)
    )


# ---- the digest and the reminders ------------------------------------------------------------


def test_the_digest_groups_by_kind_once_a_day(make, portfolio) -> None:
    other = make.apprenticeship()
    for p in (portfolio, portfolio, other):
        accept(tag(add_item(p, EvidenceKind.WITNESS_STATEMENT), refs(p)[len(told(p.apprentice))]))
    services.set_preferences(portfolio.apprentice, {Kind.TAG_SENT_BACK: EmailMode.DIGEST})
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), refs(portfolio)[5]), False)
    assert send_digests("2026-12-01") == 2
    assert send_digests("2026-12-01") == 0  # the same day again: nothing new
    mine = db.session.scalar(
        select(EmailDelivery).where(
            EmailDelivery.key == f"digest:{portfolio.apprentice.id}:2026-12-01"
        )
    )
    assert mine.subject == "Your Showcase digest: 3 notifications"
    accepted = mine.text.index("A tag is accepted:")
    sent_back = mine.text.index("A tag is sent back:")
    assert mine.text.count("Your tag") == 3
    assert mine.text.count("was accepted") == 2 and "was sent back" in mine.text[sent_back:]
    assert "was sent back" not in mine.text[accepted:sent_back]
    assert "List-Unsubscribe" in mine.headers
    assert all(n.email_delivery_id == mine.id for n in told(portfolio.apprentice))
    # Tomorrow's digest has nothing left to say.
    assert send_digests("2026-12-02") == 0


def test_reminders_come_seven_days_before_and_once_overdue(portfolio) -> None:
    today = dt.date(2026, 12, 1)
    portfolio.start_date = add_months(today + dt.timedelta(days=5), -3)  # 3-month review in 5 days
    assert send_reminders(today.isoformat()) == 3
    assert send_reminders(today.isoformat()) == 0  # the same run again tells nobody twice
    for person in (portfolio.apprentice, portfolio.line_manager, portfolio.tutor):
        (due,) = told(person, Kind.REVIEW_DUE)
        (attachment,) = delivery_of(due).attachments
        assert attachment["filename"].endswith(".ics")
        assert "DTSTART;VALUE=DATE:20261206" in attachment["content"]
    later = today + dt.timedelta(days=6)
    assert send_reminders(later.isoformat()) == 3
    assert send_reminders((later + dt.timedelta(days=1)).isoformat()) == 0
    assert len(told(portfolio.tutor, Kind.REVIEW_OVERDUE)) == 1


def test_a_signed_review_needs_no_reminder(portfolio) -> None:
    today = dt.date.today()
    portfolio.start_date = add_months(today - dt.timedelta(days=2), -3)
    sign_all(reviews.ensure_review(portfolio.tutor, portfolio, 3))
    assert send_reminders(today.isoformat()) == 0


# ---- the list, marking read, the navigation ---------------------------------------------------


def test_the_list_and_marking_read(client, make, portfolio) -> None:
    for index in range(3):
        services.notify(portfolio.apprentice, Kind.TAG_ACCEPTED, f"Note {index}", f"/x/{index}")
    stranger = make.user(Role.APPRENTICE)
    theirs = services.notify(stranger, Kind.TAG_ACCEPTED, "Not yours", "/y")
    sign_in(client, portfolio.apprentice)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Note 0" in page and "Note 2" in page and "Not yours" not in page
    first = told(portfolio.apprentice)[0]
    assert client.post(f"/notifications/{first.id}/read").status_code == 302
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    db.session.expire_all()
    assert first.read_at is not None and theirs.read_at is None
    assert services.unread_count(portfolio.apprentice) == 2
    assert client.post("/notifications/read").status_code == 302
    assert services.unread_count(portfolio.apprentice) == 0
    assert services.unread_count(stranger) == 1


def test_the_navigation_counts_unread_in_one_query(client, count_queries, make, portfolio) -> None:
    sign_in(client, portfolio.apprentice)
    client.get("/notifications/settings")
    with count_queries() as none_yet:
        page = client.get("/notifications/settings").get_data(as_text=True)
    assert "unread" not in page
    for index in range(12):
        services.notify(portfolio.apprentice, Kind.TAG_ACCEPTED, f"Note {index}", f"/x/{index}")
    with count_queries() as twelve:
        page = client.get("/notifications/settings").get_data(as_text=True)
    assert ", 12 unread" in page
    assert len(twelve) == len(none_yet)
    assert sum("notifications" in s and "count(" in s.lower() for s in twelve) == 1


def test_signed_out_pages_do_not_count(client, count_queries) -> None:
    with count_queries() as statements:
        client.get("/sign-in")
    assert not any("notifications" in s for s in statements)


def test_a_platform_admin_reads_the_outbox(client, make, portfolio) -> None:
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), refs(portfolio)[0]), False)
    deliver_email(told(portfolio.apprentice)[0].email_delivery_id)
    sign_in(client, make.user(Role.ADMIN, None))
    assert "was sent back" in client.get("/admin/outbox").get_data(as_text=True)
