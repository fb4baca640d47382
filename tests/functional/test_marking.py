"""The tutor's marking queue: order, filters, keyset pages, who sees what, decisions (one, several,
refused), and a bounded number of queries however long the queue."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from showcase import db
from showcase.accounts.models import Role
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind, TagEvent, TagStatus
from showcase.marking import services as marking
from showcase.marking.services import Cursor, MarkingFilter
from tests.factories import accept, add_item, api_headers, refs, tag

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def pending(apprenticeship, kind, units, *, title="Item", start=0, step=1):
    """One item of ``kind`` tagged to ``units`` refs, the tags made at T0 + start, + step… hours."""
    item = add_item(apprenticeship, kind, title)
    tags = []
    for n, ref in enumerate(units):
        made = tag(item, ref)
        made.created_at = T0 + dt.timedelta(hours=start + n * step)
        tags.append(made)
    db.session.flush()
    return item, tags


@pytest.fixture
def cohort(make):
    """A tutor with two learners, and a second tutor with one; tags at known times."""
    tutor = make.user(Role.TUTOR)
    amy = make.apprenticeship(tutor=tutor)
    ben = make.apprenticeship(tutor=tutor)
    other = make.apprenticeship()
    units = refs(amy)
    # Interleaved in time across the two learners: the queue is oldest first across both.
    _, amy_tags = pending(amy, EvidenceKind.WITNESS_STATEMENT, units[0:2], start=0, step=2)
    _, ben_tags = pending(ben, EvidenceKind.REFLECTIVE_ACCOUNT, units[0:2], start=1, step=2)
    _, other_tags = pending(other, EvidenceKind.WITNESS_STATEMENT, units[0:1], start=-10)
    order = [amy_tags[0], ben_tags[0], amy_tags[1], ben_tags[1]]
    return {
        "tutor": tutor,
        "amy": amy,
        "ben": ben,
        "other": other,
        "order": order,
        "other_tags": other_tags,
        "units": units,
    }


def ids(page) -> list[int]:
    return [row.tag_id for row in page.rows]


def test_queue_is_every_pending_tag_of_the_tutors_learners_oldest_first(cohort) -> None:
    page = marking.pending_tags(cohort["tutor"])
    assert ids(page) == [t.id for t in cohort["order"]]
    assert page.next_cursor is None
    # Another tutor's learner is not in it; theirs is only in theirs.
    assert cohort["other_tags"][0].id not in ids(page)
    assert ids(marking.pending_tags(cohort["other"].tutor)) == [cohort["other_tags"][0].id]


def test_decided_removed_deleted_and_locked_tags_leave_the_queue(cohort) -> None:
    first, second, third, fourth = cohort["order"]
    accept(first)
    accept(second, yes=False)
    evidence.remove_tag(cohort["amy"].apprentice, third)
    fourth.evidence.locked_at = db.utcnow()
    db.session.flush()
    assert ids(marking.pending_tags(cohort["tutor"])) == []


def test_filters_by_learner_module_and_kind(cohort) -> None:
    tutor, order = cohort["tutor"], cohort["order"]
    by_learner = marking.pending_tags(tutor, MarkingFilter(apprenticeship_id=cohort["ben"].id))
    assert ids(by_learner) == [order[1].id, order[3].id]
    by_kind = marking.pending_tags(tutor, MarkingFilter(kind=EvidenceKind.WITNESS_STATEMENT))
    assert ids(by_kind) == [order[0].id, order[2].id]
    module = f"ST0072/{order[0].reference.module_key}"
    by_module = marking.pending_tags(tutor, MarkingFilter(module=module))
    expected = [t.id for t in order if t.reference.module_key == order[0].reference.module_key]
    assert ids(by_module) == expected and expected
    # Another tutor's learner as a filter finds nothing rather than their tags.
    stranger = MarkingFilter(apprenticeship_id=cohort["other"].id)
    assert ids(marking.pending_tags(tutor, stranger)) == []


def test_pages_follow_each_other_without_gaps_or_repeats(cohort) -> None:
    tutor, order = cohort["tutor"], cohort["order"]
    # Two tags at the very same moment: the id breaks the tie, so neither is skipped.
    order[3].created_at = order[2].created_at
    db.session.flush()
    seen, after = [], None
    while True:
        page = marking.pending_tags(tutor, after=after, limit=1)
        seen += ids(page)
        if page.next_cursor is None:
            break
        after = Cursor.parse(str(page.next_cursor))
    assert seen == [t.id for t in sorted(order, key=lambda t: (t.created_at, t.id))]


def test_the_page_walks_the_queue_and_refuses_a_bad_cursor(login, cohort) -> None:
    client = login(cohort["tutor"])
    html = client.get("/marking").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'id="tag-(\d+)"', html)] == [t.id for t in cohort["order"]]
    assert client.get("/marking?after=nonsense").status_code == 422
    # A learner who is not in the menu is a form error on the page, not someone else's queue.
    stranger = client.get(f"/marking?learner={cohort['other'].id}")
    assert stranger.status_code == 200
    assert 'id="learner-error"' in stranger.get_data(as_text=True)
    assert f'id="tag-{cohort["other_tags"][0].id}"' not in stranger.get_data(as_text=True)


@pytest.mark.parametrize("who", ["other_tutor", "apprentice", "manager"])
def test_only_the_tutor_sees_or_decides_their_learners_tags(login, cohort, who) -> None:
    amy = cohort["amy"]
    person = {
        "other_tutor": cohort["other"].tutor,
        "apprentice": amy.apprentice,
        "manager": amy.line_manager,
    }[who]
    target = cohort["order"][0]
    client = login(person)
    page = client.get("/marking")
    if who == "other_tutor":
        assert page.status_code == 200
        assert f'id="tag-{target.id}"' not in page.get_data(as_text=True)
    else:
        assert page.status_code == 404
    decide = client.post("/marking/decide", data={"tag": target.id, "decision": "accept"})
    several = client.post("/marking/accept", data={"tag": [target.id]})
    assert (decide.status_code, several.status_code) == (404, 404)
    api = client.get("/api/v1/marking", headers=api_headers(person))
    if who == "other_tutor":
        assert target.id not in [i["tag_id"] for i in api.get_json()["items"]]
    else:
        assert api.status_code == 404
    db.session.refresh(target)
    assert target.status is TagStatus.PENDING


def test_accept_moves_to_the_next_tag_with_focus_and_a_status(login, cohort) -> None:
    first, second = cohort["order"][:2]
    client = login(cohort["tutor"])
    response = client.post("/marking/decide", data={"tag": first.id, "decision": "accept"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert f"focus={second.id}" in location and "after=" in location
    db.session.refresh(first)
    assert first.status is TagStatus.ACCEPTED
    assert [e.action for e in first.events][-1] == "accepted"  # the evidence service's history
    page = client.get(location).get_data(as_text=True)
    status = re.search(r'<div id="marking-status"[^>]*role="status"[^>]*>([^<]*)</div>', page)
    assert status and status.group(1).startswith("Accepted:")
    # The next tag is the first row, right under the status, its Accept button autofocused.
    assert re.findall(r'id="tag-(\d+)"', page)[0] == str(second.id)
    accept_button = re.search(r'<button type="submit" name="decision" value="accept"[^>]*>', page)
    assert "autofocus" in accept_button.group(0)
    assert page.count("autofocus") == 1


def test_send_back_needs_a_comment(login, cohort) -> None:
    first = cohort["order"][0]
    client = login(cohort["tutor"])
    response = client.post(
        "/marking/decide", data={"tag": first.id, "decision": "send_back", "comment": "  "}
    )
    assert response.status_code == 302
    assert f"focus={first.id}" in response.headers["Location"]
    assert "fix=comment" in response.headers["Location"]
    db.session.refresh(first)
    assert first.status is TagStatus.PENDING
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Say what is missing" in page
    assert re.search(rf'<textarea id="comment-{first.id}"[^>]*autofocus', page)
    response = client.post(
        "/marking/decide",
        data={"tag": first.id, "decision": "send_back", "comment": "Add the customer's words."},
    )
    assert response.status_code == 302
    db.session.refresh(first)
    assert first.status is TagStatus.SENT_BACK
    assert first.review_comment == "Add the customer's words."


def test_accept_several_at_once_all_or_nothing(login, cohort) -> None:
    first, second, third, _ = cohort["order"]
    client = login(cohort["tutor"])
    # One of them someone else's: nothing changes.
    refused = client.post("/marking/accept", data={"tag": [first.id, cohort["other_tags"][0].id]})
    assert refused.status_code == 404
    db.session.refresh(first)
    assert first.status is TagStatus.PENDING
    response = client.post("/marking/accept", data={"tag": [first.id, third.id]})
    assert response.status_code == 302
    assert f"focus={second.id}" in response.headers["Location"]
    for t in (first, third):
        db.session.refresh(t)
        assert t.status is TagStatus.ACCEPTED
    db.session.refresh(second)
    assert second.status is TagStatus.PENDING
    nothing = client.post("/marking/accept", data={})
    assert nothing.status_code == 302 and "focus=status" in nothing.headers["Location"]


def test_a_locked_items_tag_cannot_be_decided(login, cohort) -> None:
    first, second = cohort["order"][:2]
    first.evidence.locked_at = db.utcnow()
    db.session.flush()
    client = login(cohort["tutor"])
    before = db.session.query(TagEvent).count()
    assert (
        client.post("/marking/decide", data={"tag": first.id, "decision": "accept"}).status_code
        == 409
    )
    assert client.post("/marking/accept", data={"tag": [second.id, first.id]}).status_code == 409
    for t in (first, second):
        db.session.refresh(t)
        assert t.status is TagStatus.PENDING
    assert db.session.query(TagEvent).count() == before


def test_the_api_pages_filters_and_decides_through_the_review_endpoint(client, cohort) -> None:
    headers = api_headers(cohort["tutor"])
    order = cohort["order"]
    first = client.get("/api/v1/marking?limit=3", headers=headers).get_json()
    assert [i["tag_id"] for i in first["items"]] == [t.id for t in order[:3]]
    rest = client.get(f"/api/v1/marking?limit=3&after={first['next']}", headers=headers)
    assert [i["tag_id"] for i in rest.get_json()["items"]] == [order[3].id]
    assert rest.get_json()["next"] is None
    ben = client.get(f"/api/v1/marking?learner={cohort['ben'].id}", headers=headers).get_json()
    assert [i["tag_id"] for i in ben["items"]] == [order[1].id, order[3].id]
    assert client.get("/api/v1/marking?after=x", headers=headers).status_code == 422
    review = client.post(first["items"][0]["review_url"], headers=headers, json={"accept": True})
    assert review.status_code == 200
    again = client.get("/api/v1/marking", headers=headers).get_json()
    assert order[0].id not in [i["tag_id"] for i in again["items"]]


def test_the_queue_is_declared_in_the_openapi_document(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    answers = doc["paths"]["/api/v1/marking"]["get"]["responses"]
    assert {"200", "401", "404", "422"} <= set(answers)


def test_query_count_does_not_grow_with_the_queue(login, make, count_queries) -> None:
    tutor = make.user(Role.TUTOR)
    counts = []
    for n in (2, 20):
        learner = make.apprenticeship(tutor=tutor)
        units = refs(learner)
        for i in range(n):
            kind = [EvidenceKind.PHOTO, EvidenceKind.RECORDING, EvidenceKind.WITNESS_STATEMENT][
                i % 3
            ]
            pending(learner, kind, units[i : i + 1], start=i)
        client = login(tutor)
        client.get("/marking")  # warm: the standard's parsed file is cached per process
        with count_queries() as statements:
            response = client.get(f"/marking?learner={learner.id}")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="card queue-row"') == n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
