"""Everyone's next step: the to-do lists, the stage, the nav count and GET /api/v1/me/todo."""

from __future__ import annotations

import datetime as dt

import pytest

from showcase import db
from showcase.accounts.models import Role
from showcase.assessment import services as assessment
from showcase.assessment.services import in_sample
from showcase.assessment.stage import Stage, standing_of
from showcase.audit.services import record
from showcase.evidence.models import EvidenceKind
from showcase.home.todo import todo_for
from showcase.reviews import services as reviews
from showcase.standards.sufficiency import add_months
from tests.factories import accept, add_item, api_headers, refs, tag, write_own_sections


def kinds(user, today=None) -> list[str]:
    return [i.kind for i in todo_for(user, today or dt.date.today())]


def test_sent_back_tag_is_on_the_apprentices_list_with_the_comment(make, login) -> None:
    item = make.apprenticeship()
    accept(tag(add_item(item, EvidenceKind.REFLECTIVE_ACCOUNT, "My week"), refs(item)[0]), False)
    todo = todo_for(item.apprentice, dt.date.today())
    sent = [i for i in todo if i.kind == "tag_sent_back"]
    assert len(sent) == 1
    assert "My week" in sent[0].text and sent[0].detail == "“More detail.”"
    assert sent[0].url.startswith("/evidence/") and sent[0].whose == f"from {item.tutor.name}"
    page = login(item.apprentice).get("/").get_data(as_text=True)
    assert "sent back" in page and "More detail." in page and sent[0].url in page


def test_review_waiting_for_signature_is_on_the_line_managers_list(make, login) -> None:
    item = make.apprenticeship(start_date=dt.date.today() - dt.timedelta(days=100))
    review = reviews.ensure_review(item.tutor, item, 3, today=dt.date.today())
    assert "review_signature" not in kinds(item.line_manager)  # nobody signed yet
    write_own_sections(review)
    reviews.sign_review(item.tutor, review)
    todo = todo_for(item.line_manager, dt.date.today())
    waiting = [i for i in todo if i.kind == "review_signature"]
    assert [i.url for i in waiting] == [f"/apprenticeships/{item.id}/reviews/3"]
    # The same review is not also listed as "overdue": one line per thing to do.
    assert not [i for i in todo if i.url == waiting[0].url and i.kind != "review_signature"]
    assert "review_signature" not in kinds(item.tutor)  # the tutor has signed
    reviews.sign_review(item.line_manager, review)
    assert "review_signature" not in kinds(item.line_manager)
    assert "review_signature" in kinds(item.apprentice)


def test_each_party_is_asked_for_their_part_once_the_review_is_under_way(make, login) -> None:
    """Nobody signs before every part is written, so each party's list asks for theirs: once
    somebody has written (or the meeting is booked), and until they have."""
    item = make.apprenticeship(start_date=dt.date.today() - dt.timedelta(days=100))
    review = reviews.ensure_review(item.tutor, item, 3, today=dt.date.today())
    people = (item.apprentice, item.line_manager, item.tutor)
    assert not any("review_section" in kinds(p) for p in people)  # nothing started yet
    write_own_sections(review, item.tutor)
    url = f"/apprenticeships/{item.id}/reviews/3"
    for person in (item.apprentice, item.line_manager):
        asked = [i for i in todo_for(person, dt.date.today()) if i.kind == "review_section"]
        assert [(i.text, i.url) for i in asked] == [
            ("Write your part of the 3-month progress review", url)
        ]
        # One line for the review: not also "hold it" or "your next review".
        assert not [i for i in todo_for(person) if i.url == url and i.kind != "review_section"]
    assert "review_section" not in kinds(item.tutor)  # theirs is written
    write_own_sections(review, item.line_manager)
    assert "review_section" not in kinds(item.line_manager)
    assert "review_section" in kinds(item.apprentice)
    page = login(item.apprentice).get("/").get_data(as_text=True)
    assert "Write your part of the 3-month progress review" in page and url in page
    write_own_sections(review, item.apprentice)
    assert not any("review_section" in kinds(p) for p in people)


def test_learners_behind_pace_are_listed_furthest_first_then_counted(make) -> None:
    """Ten learners behind pace are listed one by one, furthest behind first; the rest are one
    line that sends the tutor to the dashboard (a list of hundreds is nobody's next step)."""
    from showcase.home.todo import BEHIND_LISTED

    tutor = make.user(Role.TUTOR)
    today = dt.date.today()
    learners = [
        make.apprenticeship(tutor=tutor, start_date=add_months(today, -(3 + n % 6)))
        for n in range(BEHIND_LISTED + 3)
    ]
    todo = todo_for(tutor, today)
    behind = [i for i in todo if i.kind == "behind_pace"]
    assert len(behind) == BEHIND_LISTED
    # Nothing is covered anywhere, so the furthest behind are the longest in: the three
    # learners only 3 months in are the ones left to the dashboard.
    left_out = {a.id for a in learners} - {i.apprenticeship_id for i in behind}
    assert left_out == {learners[n].id for n in (0, 6, 12)}
    more = [i for i in todo if i.kind == "behind_pace_more"]
    assert [(i.text, i.url) for i in more] == [("3 more learners behind pace", "/dashboard")]


def test_tutor_list_reviews_due_behind_and_quiet(make) -> None:
    tutor = make.user(Role.TUTOR)
    today = dt.date.today()
    # 3-month review due in 10 days (within 14), nothing uploaded since the start, behind pace.
    soon = make.apprenticeship(tutor=tutor, start_date=add_months(today, -3) + dt.timedelta(10))
    # 6 months in: the 3-month review overdue, the 6-month one due today.
    late = make.apprenticeship(tutor=tutor, start_date=add_months(today, -6))
    todo = todo_for(tutor, today)
    by = {(i.kind, i.apprenticeship_id) for i in todo}
    assert ("review_due", soon.id) in by
    assert ("review_overdue", late.id) in by
    assert ("nothing_new", soon.id) in by and ("nothing_new", late.id) in by
    assert ("behind_pace", late.id) in by
    assert todo[0].urgency.name == "OVERDUE"  # most pressing first
    # A learner 10 days in: nothing due within 14 days, not yet quiet for 30 days.
    fresh = make.apprenticeship(tutor=tutor, start_date=today - dt.timedelta(days=10))
    assert not [i for i in todo_for(tutor, today) if i.apprenticeship_id == fresh.id]


def test_graded_learner_has_no_pace_reviews_or_tags_but_a_released_grade(
    journey, locked, login
) -> None:
    item, _, people, _ = journey
    accept(tag(add_item(item, EvidenceKind.REFLECTIVE_ACCOUNT), refs(item)[5]), False)
    assert standing_of(item.id).stage is Stage.WITH_ASSESSOR
    graded = assessment.assign(people["ao_admin"], locked, people["assessor"])
    assert "assessment" in kinds(people["assessor"])
    graded.status = assessment.AssessmentStatus.GRADED
    graded.final_grade = "pass"
    graded.graded_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    # Confirmed but not yet released (quality assurance samples it): still with the assessor.
    assert standing_of(item.id).stage is Stage.WITH_ASSESSOR
    record(people["qa"], assessment.RELEASED, graded, apprenticeship_id=item.id)
    standing = standing_of(item.id)
    assert standing.stage is Stage.GRADED and standing.text == "Graded: Pass"
    assert kinds(item.apprentice) == ["grade_released"]
    assert kinds(people["tutor"]) == [] and kinds(people["manager"]) == []
    assert "assessment" not in kinds(people["assessor"])
    # The dashboard says where they stand and nothing about pace or eligibility.
    page = login(people["tutor"]).get("/dashboard").get_data(as_text=True)
    assert "Graded: Pass" in page and "Behind" not in page and "Eligible" not in page
    assert "Graded: Pass" in login(people["tutor"]).get(f"/apprenticeships/{item.id}").text


def test_learner_without_reviews_is_not_all_done(make, login) -> None:
    tutor = make.user(Role.TUTOR)
    make.apprenticeship(tutor=tutor, code="TLII4001")
    page = login(tutor).get("/dashboard").get_data(as_text=True)
    assert "All done" not in page and "All signed" not in page and "None scheduled" in page


def test_gateway_signoffs_wait_for_each_party(journey) -> None:
    item, _, people, _ = journey
    from showcase.submissions import services as submissions

    draft = submissions.start_version(item.apprentice, item)
    assert standing_of(item.id).stage is Stage.GATEWAY
    assert "gateway_signoff" in kinds(people["manager"])
    assert "gateway_signoff" in kinds(people["tutor"])
    assert "gateway" in kinds(item.apprentice)
    submissions.set_items(item.apprentice, draft, [e.id for e in journey[3]])
    submissions.sign_off(people["manager"], draft, confirm=True)
    assert "gateway_signoff" not in kinds(people["manager"])
    assert "gateway_signoff" in kinds(people["tutor"])


def test_sampling_plan_is_deterministic_and_takes_firsts_and_fails() -> None:
    assert in_sample(7, first_of_assessor=True, failed=False, share=0.0)
    assert in_sample(7, first_of_assessor=False, failed=True, share=0.0)
    chosen = [
        i for i in range(1, 2001) if in_sample(i, first_of_assessor=False, failed=False, share=0.25)
    ]
    assert 400 < len(chosen) < 600  # about a quarter
    assert chosen == [
        i for i in range(1, 2001) if in_sample(i, first_of_assessor=False, failed=False, share=0.25)
    ]
    assert not [
        i for i in range(1, 200) if in_sample(i, first_of_assessor=False, failed=False, share=0)
    ]


def test_quality_assurer_sees_the_first_decision_of_an_assessor(journey, locked) -> None:
    _, _, people, _ = journey
    graded = assessment.assign(people["ao_admin"], locked, people["assessor"])
    assert kinds(people["qa"]) == []  # nothing graded yet
    graded.status = assessment.AssessmentStatus.GRADED
    graded.final_grade = "pass"
    graded.graded_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    todo = todo_for(people["qa"], dt.date.today())
    assert [i.url for i in todo] == [f"/assessments/{graded.id}"]
    assert "first decision" in todo[0].text


def test_admin_sees_expired_invitations_and_missing_tutors(make) -> None:
    from showcase.accounts.models import Invitation

    org = make.organisation()
    admin = make.user(Role.ADMIN, org)
    invited = make.user(Role.EMPLOYER_CONTACT, org, password_hash=None)
    db.session.add(
        Invitation(
            user=invited,
            token_hash="x" * 64,
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        )
    )
    item = make.apprenticeship(line_manager=make.user(Role.EMPLOYER_CONTACT, org))
    item.tutor.is_active = False
    db.session.flush()
    todo = todo_for(admin, dt.date.today())
    assert {(i.kind, i.whose) for i in todo} >= {
        ("invitation_expired", invited.name),
        ("missing_party", item.apprentice.name),
    }
    assert [i.text for i in todo if i.kind == "missing_party"] == ["Needs a tutor"]


def test_query_count_is_the_same_for_2_and_12_learners(make, count_queries) -> None:
    counts = {}
    for role in (Role.TUTOR, Role.EMPLOYER_CONTACT):
        per_size = []
        for n in (2, 12):
            person = make.user(role)
            for i in range(n):
                item = make.apprenticeship(
                    **({"tutor": person} if role is Role.TUTOR else {"line_manager": person}),
                    start_date=dt.date.today() - dt.timedelta(days=200 + i),
                )
                accept(tag(add_item(item, EvidenceKind.WITNESS_STATEMENT), refs(item)[0]))
                tag(add_item(item, EvidenceKind.WITNESS_STATEMENT), refs(item)[1])
                review = reviews.ensure_review(item.tutor, item, 3, today=dt.date.today())
                write_own_sections(review)
                reviews.sign_review(item.apprentice, review)
            db.session.flush()
            todo_for(person)  # warm the parsed standard
            with count_queries() as statements:
                todo = todo_for(person)
            assert len({i.apprenticeship_id for i in todo} - {None}) == n  # every learner has items
            per_size.append(len(statements))
        counts[role] = per_size
    assert counts[Role.TUTOR][0] == counts[Role.TUTOR][1] <= 8, counts
    assert counts[Role.EMPLOYER_CONTACT][0] == counts[Role.EMPLOYER_CONTACT][1] <= 6, counts


def test_api_lists_the_callers_todo_and_is_documented(client, make) -> None:
    item = make.apprenticeship()
    accept(tag(add_item(item, EvidenceKind.REFLECTIVE_ACCOUNT), refs(item)[0]), False)
    body = client.get("/api/v1/me/todo", headers=api_headers(item.apprentice)).json
    sent = [i for i in body["items"] if i["kind"] == "tag_sent_back"]
    assert sent and sent[0]["url"].startswith("http") and sent[0]["detail"] == "“More detail.”"
    assert body["count"] >= 1
    assert client.get("/api/v1/me/todo").status_code == 401
    doc = client.get("/api/v1/openapi.json").json
    assert {"200", "401"} <= set(doc["paths"]["/api/v1/me/todo"]["get"]["responses"])


def test_nav_shows_the_count(make, login) -> None:
    item = make.apprenticeship()
    accept(tag(add_item(item, EvidenceKind.REFLECTIVE_ACCOUNT), refs(item)[0]), False)
    client = login(item.apprentice)
    page = client.get(f"/apprenticeships/{item.id}").get_data(as_text=True)
    count = len([i for i in todo_for(item.apprentice) if i.urgency.name != "INFO"])
    assert count >= 1 and f", {count} to do" in page


@pytest.mark.parametrize("email", ["ben@northgate.test", "manager@northgate.test"])
def test_demo_people_have_a_believable_next_step(session, email: str) -> None:
    from sqlalchemy import select

    from showcase.accounts.models import User
    from showcase.demo import load_demo

    load_demo()
    user = db.session.scalar(select(User).where(User.email == email))
    todo = todo_for(user, dt.date.today())
    if email.startswith("ben"):
        assert any(i.kind == "tag_sent_back" and i.detail for i in todo)
    else:
        # Ben's 3-month review is signed in the demo (issue 16): Marcus's next step is his pace.
        assert any(i.kind == "behind_pace" for i in todo)
    amira = db.session.scalar(select(User).where(User.email == "amira@northgate.test"))
    # The demo's grade is its assessor's first decision: in the quality assurance sample, so
    # not released yet (Amira's showcase is still with the assessor).
    assert [i.kind for i in todo_for(amira)] == ["with_assessor"]
