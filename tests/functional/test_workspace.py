"""The assessor's workspace: method → module → criterion, the evidence beside each judgement,
one save per criterion with optimistic concurrency, citations of items and regions, the
quality assurer's read-only review, the API, and a page whose queries do not grow."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.assessment import services
from showcase.assessment.models import Assessment, Judgement, JudgementCitation
from showcase.audit.models import AuditEntry
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind
from showcase.standards.services import doc_for
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from tests.factories import accept, add_item, api_headers, prepare, tag

#: Both sample files are tagged to this module's units, so each of its criteria shows them.
MODULE = "understanding-the-organisation"
#: Judged in place of the missing pass criteria: standard statement 1, over units 1.1 and 1.2.
REF = f"ST0072/{MODULE}/statement-1"
URL = f"criteria/{MODULE}/statement-1"
ANCHOR = f"criterion-{MODULE}-statement-1"


def lock(journey, extra: int = 0, kind: EvidenceKind = EvidenceKind.REFLECTIVE_ACCOUNT):
    """The journey's showcase with the PDF tagged too (and ``extra`` written items of ``kind``),
    locked and assigned to the journey's assessor."""
    item, _ao, people, items = journey
    accept(
        evidence.tag_evidence(
            item.apprentice,
            items[1],
            ref=f"ST0072/{MODULE}/1.2",
            justification="The statement says how I explained our values.",
            region="p. 1",
        )
    )
    for n in range(extra):
        items.append(add_item(item, kind, f"Reflection {n}"))
        accept(tag(items[-1], f"ST0072/{MODULE}/1.{1 + n % 2}"))
    draft = prepare(journey)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(people["apprentice"], draft, storage=storage, written=written)
    return services.assign(people["ao_admin"], draft, people["assessor"])


@pytest.fixture
def assessed(journey) -> Assessment:
    return lock(journey)


def judged_entries() -> int:
    return db.session.scalar(select(func.count()).where(AuditEntry.action == "assessment.judged"))


def criterion_html(page: str, anchor: str = ANCHOR) -> str:
    """The one <article> of a criterion on the page."""
    start = page.index(f'<article class="ws-criterion" id="{anchor}"')
    return page[start : page.index("</article>", start)]


def cited_html(block: str) -> str:
    """The list of what a judgement cites, in a criterion's block."""
    start = block.index('<ul class="ws-cited">')
    return block[start : block.index("</ul>", start)]


def test_the_page_goes_method_module_criterion_with_progress(login, journey, assessed) -> None:
    _item, _ao, people, items = journey
    page = login(people["assessor"]).get(f"/assessments/{assessed.id}").get_data(as_text=True)
    # One section per method, each with its progress, in the plan's order.
    headings = re.findall(r'<h2 id="method-([\w-]+)-heading">', page)
    assert headings == ["showcase", "observation", "professional-discussion"]
    assert "0 of 19 criteria judged" in page and "0 of 25 criteria judged" in page
    assert "0 of 55 criteria judged." in page
    # The first section with work left is open, with its first module; the rest are closed.
    assert re.search(r'id="method-showcase"[^>]*>\s*<details open>', page)
    assert re.search(r'id="method-observation"[^>]*>\s*<details>', page)
    # In each section the first module to judge is open, ready when the section is opened.
    assert page.count('<details class="ws-module" open>') == 3
    # The criterion shows the evidence tagged to its module's units, with the judgement form.
    block = criterion_html(page)
    assert f"/assessments/{assessed.id}/items/{items[0].id}/file?inline=1" in block
    assert f"/assessments/{assessed.id}/items/{items[1].id}/file?inline=1" in block
    assert f'action="/assessments/{assessed.id}/{URL}"' in block
    assert 'name="version" value="0"' in block
    assert f'name="region:{items[0].id}"' in block and f'name="region:{items[1].id}"' in block
    # The tag's region (locked in the manifest) shows, and the link opens the PDF at it.
    assert '<span class="ws-region">page 1</span>' in block
    assert f'items/{items[1].id}/file?inline=1#page=1">Open the PDF at page 1' in block
    # A criterion of a module nothing is tagged to says so and offers nothing to cite.
    other = criterion_html(page, "criterion-equality-pass-1")
    assert "Judged from the practical observation record above" in other
    assert 'name="cite"' not in other
    # The live methods' records sit in their own sections.
    assert page.index('id="record-observation"') > page.index('id="method-observation"')


def test_one_criterion_saves_alone_and_comes_back_beside_it(login, journey, assessed) -> None:
    _item, _ao, people, items = journey
    client = login(people["assessor"])
    before = judged_entries()
    saved = client.post(
        f"/assessments/{assessed.id}/{URL}",
        data={
            "outcome": "met",
            "comment": "Explains the business purpose clearly.",
            "version": "0",
            "cite": [str(items[0].id)],
            f"region:{items[0].id}": "0:00-0:01",
            f"region:{items[1].id}": "p. 1",  # a part given cites the item even unticked
        },
    )
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/assessments/{assessed.id}#{ANCHOR}")
    assert judged_entries() == before + 1  # this criterion only
    judgement = db.session.scalar(select(Judgement).where(Judgement.assessment_id == assessed.id))
    assert (judgement.met, judgement.version, judgement.reference.ref) == (True, 1, REF)
    cited = {
        (c.evidence_id, c.region_kind, c.region_start, c.region_end) for c in judgement.citations
    }
    assert cited == {(items[0].id, "time", 0, 1), (items[1].id, "pages", 1, 1)}

    page = client.get(f"/assessments/{assessed.id}").get_data(as_text=True)
    block = criterion_html(page)
    # The message is next to the criterion, focusable and focused, not at the top of the page.
    assert 'role="status" tabindex="-1" data-ws-focus' in block
    assert "Saved at" in block and "Met, citing 2 items." in block
    assert page.count('role="status" tabindex="-1" data-ws-focus') == 1
    assert 'name="version" value="1"' in block
    assert 'value="0:00-0:01"' in block and 'value="p. 1"' in block
    # The citations link to the file at the region.
    cited = cited_html(block)
    assert f"items/{items[0].id}/file?inline=1#t=0,1" in cited
    assert f"items/{items[1].id}/file?inline=1#page=1" in cited
    assert "1 of 55 criteria judged." in page
    # The message is shown once: a reload does not repeat it.
    again = client.get(f"/assessments/{assessed.id}").get_data(as_text=True)
    assert "Saved at" not in again

    # Saving again unchanged adds no version and no audit entry.
    client.post(
        f"/assessments/{assessed.id}/{URL}",
        data={
            "outcome": "met",
            "comment": "Explains the business purpose clearly.",
            "version": "1",
            "cite": [str(items[0].id), str(items[1].id)],
            f"region:{items[0].id}": "0:00-0:01",
            f"region:{items[1].id}": "p. 1",
        },
    )
    db.session.expire_all()
    assert db.session.get(Judgement, judgement.id).version == 1
    assert judged_entries() == before + 1


def test_a_stale_version_is_refused_and_overwrites_nothing(login, journey, assessed) -> None:
    _item, _ao, people, _items = journey
    client = login(people["assessor"])
    first_tab = {"outcome": "met", "comment": "Seen in the recording.", "version": "0"}
    assert client.post(f"/assessments/{assessed.id}/{URL}", data=first_tab).status_code == 302
    second_tab = {"outcome": "not_met", "comment": "Not shown.", "version": "0"}
    refused = client.post(f"/assessments/{assessed.id}/{URL}", data=second_tab)
    assert refused.status_code == 409
    block = criterion_html(refused.get_data(as_text=True))
    assert "Not saved: this criterion was saved at" in block
    assert "(version 1, you had version 0) as Met, “Seen in the recording.”" in block
    assert "Your unsaved choice: Not met, “Not shown.”" in block
    # The form now carries what is saved and its version, ready to save again knowingly.
    assert 'name="version" value="1"' in block
    assert re.search(r'value="met" checked', block)
    db.session.expire_all()
    judgement = db.session.scalar(select(Judgement).where(Judgement.assessment_id == assessed.id))
    assert (judgement.met, judgement.comment, judgement.version) == (
        True,
        "Seen in the recording.",
        1,
    )
    # With the current version the change goes through.
    again = client.post(f"/assessments/{assessed.id}/{URL}", data=second_tab | {"version": "1"})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Judgement, judgement.id).met is False


def test_a_cleared_judgement_refuses_a_tab_that_saw_it(login, journey, assessed) -> None:
    _item, _ao, people, items = journey
    client = login(people["assessor"])
    client.post(
        f"/assessments/{assessed.id}/{URL}",
        data={"outcome": "met", "version": "0", "cite": [str(items[0].id)]},
    )
    assert (
        client.post(
            f"/assessments/{assessed.id}/{URL}", data={"outcome": "unassessed", "version": "1"}
        ).status_code
        == 302
    )
    assert db.session.scalar(select(func.count(JudgementCitation.id))) == 0
    stale = client.post(
        f"/assessments/{assessed.id}/{URL}", data={"outcome": "not_met", "version": "1"}
    )
    assert stale.status_code == 409
    assert "was cleared since you opened it" in stale.get_data(as_text=True)


@pytest.mark.parametrize(
    ("which", "region", "message"),
    [
        (0, "0:00-0:09", "This recording is 0:02 long"),
        (1, "p. 2", "This PDF has 1 page, so page 2 is not in it."),
        (1, "0:00-0:01", "A time range fits only a recording"),
        (0, "soon", "is not a region Showcase can read"),
    ],
)
def test_a_region_outside_the_file_is_refused_beside_its_field(
    login, journey, assessed, which: int, region: str, message: str
) -> None:
    _item, _ao, people, items = journey
    client = login(people["assessor"])
    cited = items[which].id
    refused = client.post(
        f"/assessments/{assessed.id}/{URL}",
        data={
            "outcome": "met",
            "comment": "Kept as typed.",
            "version": "0",
            "cite": [str(cited)],
            f"region:{cited}": region,
        },
    )
    assert refused.status_code == 422
    block = criterion_html(refused.get_data(as_text=True))
    field = f"{ANCHOR}-region-{cited}"
    assert f'id="{field}-error">' in block and message in block
    assert f'aria-describedby="{ANCHOR}-hint {field}-error" aria-invalid="true"' in block
    # What was typed comes back, and nothing was saved.
    assert f'value="{region}"' in block and "Kept as typed." in block
    assert db.session.scalar(select(func.count(Judgement.id))) == 0


def test_only_items_of_the_locked_showcase_can_be_cited(login, journey, assessed) -> None:
    item, _ao, people, _items = journey
    outside = add_item(item, EvidenceKind.REFLECTIVE_ACCOUNT, "Added after the gateway")
    refused = login(people["assessor"]).post(
        f"/assessments/{assessed.id}/{URL}",
        data={"outcome": "met", "version": "0", "cite": [str(outside.id)]},
    )
    assert refused.status_code == 422
    assert "can cite only items of this locked showcase" in refused.get_data(as_text=True)


def test_no_outcome_chosen_is_said_at_the_outcome(login, journey, assessed) -> None:
    _item, _ao, people, _items = journey
    refused = login(people["assessor"]).post(
        f"/assessments/{assessed.id}/{URL}", data={"version": "0"}
    )
    assert refused.status_code == 422
    block = criterion_html(refused.get_data(as_text=True))
    assert f'id="{ANCHOR}-outcome-error">Choose met, not met or not yet judged.' in block


def judge_all(assessor, assessment, items) -> None:
    doc = doc_for(assessment.submission.apprenticeship.standard)
    for criterion in doc.criteria():
        services.record_judgement(
            assessor,
            assessment,
            ref=criterion.ref,
            met=True,
            comment="Well evidenced." if criterion.ref == REF else "",
            citations=[
                services.CitationIn(items[0].id, "0:00-0:01"),
                services.CitationIn(items[1].id, "p. 1"),
            ]
            if criterion.ref == REF
            else None,
        )
    for method in services.methods_needing_records(doc):
        services.save_method_record(
            assessor,
            assessment,
            method_key=method.key,
            held_on=dt.date.today(),
            duration_minutes=60,
            notes=f"The {method.title}.",
            areas=list(doc.plan.observation_mandatory_areas)
            if method.key == services.OBSERVATION_METHOD
            else [],
        )
    services.confirm_grade(assessor, assessment)


def test_after_confirmation_the_controls_say_why_they_are_off(login, journey, assessed) -> None:
    _item, _ao, people, items = journey
    judge_all(people["assessor"], assessed, items)
    client = login(people["assessor"])
    page = client.get(f"/assessments/{assessed.id}").get_data(as_text=True)
    block = criterion_html(page)
    assert f'<fieldset class="ws-fields" disabled aria-describedby="{ANCHOR}-final">' in block
    assert "— judgements are final." in block
    assert "Confirm the final grade" not in page
    refused = client.post(
        f"/assessments/{assessed.id}/{URL}", data={"outcome": "not_met", "version": "1"}
    )
    assert refused.status_code == 409


def test_the_quality_assurer_reviews_criterion_by_criterion(login, journey, assessed) -> None:
    _item, _ao, people, items = journey
    judge_all(people["assessor"], assessed, items)
    page = login(people["qa"]).get(f"/assessments/{assessed.id}").get_data(as_text=True)
    # The decision form comes before the criteria, not at the foot of the page.
    assert page.index('id="quality-assurance"') < page.index('id="method-showcase"')
    assert "Record decision" in page
    block = criterion_html(page)
    assert "<form" not in block  # read-only
    assert '<dd class="ws-outcome-met">Met</dd>' in block
    assert "Well evidenced." in block
    cited = cited_html(block)
    assert f"items/{items[0].id}/file?inline=1#t=0,1" in cited and "0:00–0:01" in cited
    assert f"items/{items[1].id}/file?inline=1#page=1" in cited and "page 1" in cited
    other = criterion_html(page, f"criterion-{MODULE}-statement-2")
    assert "Nothing cited." in other


# ---- the API -------------------------------------------------------------------------------


def test_api_judgement_per_criterion_with_version_and_citations(client, journey, assessed) -> None:
    _item, _ao, people, items = journey
    headers = api_headers(people["assessor"])
    url = f"/api/v1/assessments/{assessed.id}/{URL}"
    empty = client.get(url, headers=headers)
    assert empty.status_code == 200
    assert empty.get_json() == {
        "ref": REF,
        "met": None,
        "comment": "",
        "version": 0,
        "at": None,
        "citations": [],
    }
    assert empty.headers["ETag"] == '"0"'
    body = {
        "met": True,
        "comment": "Clear.",
        "version": 0,
        "citations": [{"evidence_id": items[0].id, "region": "0:00-0:01"}],
    }
    saved = client.put(url, headers=headers, json=body)
    assert saved.status_code == 200, saved.get_json()
    out = saved.get_json()
    assert (out["met"], out["version"]) == (True, 1)
    assert out["citations"] == [
        {
            "evidence_id": items[0].id,
            "title": items[0].title,
            "region": {"kind": "time", "start": 0, "end": 1, "label": "0:00–0:01"},
        }
    ]
    # The same body again names version 0: refused, nothing overwritten.
    stale = client.put(url, headers=headers, json=body | {"met": False})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "stale_judgement"
    assert "version 1, you had version 0" in stale.get_json()["error"]["message"]
    # If-Match instead of the field, as HTTP has it.
    no_version = {k: v for k, v in body.items() if k != "version"}
    assert (
        client.put(url, headers=headers | {"If-Match": '"0"'}, json=no_version).status_code == 409
    )
    ok = client.put(url, headers=headers | {"If-Match": '"1"'}, json=no_version | {"met": False})
    assert ok.status_code == 200 and ok.get_json()["version"] == 2
    bad = client.put(
        url,
        headers=headers,
        json={
            "met": True,
            "version": 2,
            "citations": [{"evidence_id": items[1].id, "region": "p. 7"}],
        },
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["field"] == f"region:{items[1].id}"
    assert client.get(url, headers=api_headers(people["other_assessor"])).status_code == 404
    # The organisation's admin sees the assessment but only its assessor judges.
    assert client.get(url, headers=api_headers(people["ao_admin"])).status_code == 200
    assert client.put(url, headers=api_headers(people["ao_admin"]), json=body).status_code == 403
    assert (
        client.get(
            f"/api/v1/assessments/{assessed.id}/criteria/{MODULE}/nope", headers=headers
        ).status_code
        == 404
    )


def test_the_api_document_declares_the_judgement_operations(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operation = paths["/api/v1/assessments/{assessment_id}/criteria/{module_key}/{criterion_key}"]
    assert {"get", "put"} <= set(operation)
    assert "409" in operation["put"]["responses"]


# ---- query counts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    # Witness statements show their signature: read for the whole page at once, not per item.
    [EvidenceKind.REFLECTIVE_ACCOUNT, EvidenceKind.WITNESS_STATEMENT],
    ids=["reflections", "witness-statements"],
)
def test_the_workspace_costs_the_same_queries_for_5_or_40_items(
    login, make, count_queries, kind
) -> None:
    from tests.factories import build_journey

    counts = []
    for extra in (3, 38):  # the two sample files plus these: 5 and 40 items
        journey = build_journey(make)
        assessment = lock(journey, extra, kind)
        assert len(assessment.submission.items) == extra + 2
        people, items = journey[2], journey[3]
        services.record_judgement(
            people["assessor"],
            assessment,
            ref=REF,
            met=True,
            citations=[services.CitationIn(i.id) for i in items],
        )
        client = login(people["assessor"])
        url = f"/assessments/{assessment.id}"
        client.get(url)  # warm caches (the parsed standard)
        with count_queries() as statements:
            page = client.get(url)
        assert page.status_code == 200
        assert page.get_data(as_text=True).count("Reflection ") >= extra
        counts.append(len(statements))
        client.post("/sign-out")
    assert counts[0] == counts[1], counts
