"""Evidence regions through the tag form and the API: a time range of a real recording and a
page of a real PDF are stored, shown and linked; ranges outside the file are refused with a
message that says how long the recording is or how many pages the PDF has."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from showcase import db
from showcase.evidence import services
from showcase.evidence.models import Evidence, EvidenceTag, StoredFile
from showcase.evidence.regions import Region
from showcase.storage_ext import get_storage
from tests.factories import api_headers as bearer

SAMPLES = Path(__file__).parents[1] / "samples"
UNIT = "ST0072/knowing-your-customers/1.1"
OTHER = "ST0072/knowing-your-customers/1.2"


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


def add(portfolio, name: str) -> Evidence:
    return services.add_evidence(
        portfolio.apprentice,
        portfolio,
        storage=get_storage(),
        stream=io.BytesIO((SAMPLES / name).read_bytes()),
        filename=name,
        max_bytes=10**8,
    )


def tag_of(item: Evidence, ref: str = UNIT) -> EvidenceTag | None:
    db.session.expire_all()
    return db.session.scalar(
        select(EvidenceTag)
        .join(EvidenceTag.reference)
        .where(EvidenceTag.evidence_id == item.id, EvidenceTag.reference.has(ref=ref))
    )


def post_tag(client, item: Evidence, region: str, ref: str = UNIT):
    return client.post(
        f"/evidence/{item.id}/tags",
        data={
            "tag-reference": ref,
            "tag-justification": "My manager watched me greet a customer.",
            "tag-region": region,
        },
        follow_redirects=True,
    )


def test_a_time_range_of_a_recording_through_the_form(login, portfolio) -> None:
    item = add(portfolio, "sample.webm")
    client = login(portfolio.apprentice)
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert 'name="tag-region"' in page
    assert "e.g. 1:05-2:30" in page  # the hint

    page = post_tag(client, item, "0:00-0:01").get_data(as_text=True)
    tag = tag_of(item)
    assert tag is not None
    assert tag.region == Region("time", 0, 1)
    assert f"/evidence/{item.id}/file?inline=1#t=0,1" in page
    assert "0:00–0:01" in page
    # The length read from the container is kept with the file.
    assert db.session.get(StoredFile, item.file_id).duration_ms == 1008


def test_out_of_range_is_refused_with_the_length(login, portfolio) -> None:
    item = add(portfolio, "sample.mp3")
    client = login(portfolio.apprentice)
    page = post_tag(client, item, "0:00-0:05").get_data(as_text=True)
    assert tag_of(item) is None
    assert "This recording is 0:02 long, so the part 0:00–0:05 runs past its end" in page
    assert 'role="status"' in page or 'role="alert"' in page


def test_a_page_of_a_pdf_and_pages_past_its_end(login, portfolio) -> None:
    item = add(portfolio, "sample.pdf")
    client = login(portfolio.apprentice)
    page = post_tag(client, item, "pages 1-3").get_data(as_text=True)
    assert tag_of(item) is None
    assert "This PDF has 1 page, so pages 1–3 is not in it. Give pages from 1 to 1." in page
    page = post_tag(client, item, "p. 1").get_data(as_text=True)
    assert tag_of(item).region == Region("pages", 1, 1)
    assert f"/evidence/{item.id}/file?inline=1#page=1" in page


def test_the_wrong_kind_of_region_for_the_file(login, portfolio) -> None:
    pdf = add(portfolio, "sample.pdf")
    client = login(portfolio.apprentice)
    page = post_tag(client, pdf, "0:00-0:01").get_data(as_text=True)
    assert "A time range fits only a recording" in page
    photo = add(portfolio, "sample.jpg")
    page = post_tag(client, photo, "p. 1").get_data(as_text=True)
    assert "Pages can be checked only in a PDF" in page
    assert tag_of(pdf) is None and tag_of(photo) is None
    # A photo has no part to point at: the form does not offer the field.
    assert 'name="tag-region"' not in client.get(f"/evidence/{photo.id}").get_data(as_text=True)


def test_unreadable_text_is_refused_before_the_file_is_read(login, portfolio) -> None:
    item = add(portfolio, "sample.m4a")
    client = login(portfolio.apprentice)
    page = post_tag(client, item, "the middle bit").get_data(as_text=True)
    assert "is not a region Showcase can read" in page
    assert tag_of(item) is None


def test_regions_through_the_api(client, portfolio) -> None:
    item = add(portfolio, "sample.m4a")
    headers = bearer(portfolio.apprentice)
    created = client.post(
        f"/api/v1/evidence/{item.id}/tags",
        json={"ref": UNIT, "justification": "It shows me greeting a customer.", "region": "0-1s"},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["region"] == {
        "kind": "time",
        "start": 0,
        "end": 1,
        "label": "0:00–0:01",
        "fragment": "#t=0,1",
    }
    refused = client.post(
        f"/api/v1/evidence/{item.id}/tags",
        json={
            "ref": OTHER,
            "justification": "It shows me greeting a customer.",
            "region": "1:00-2:00",
        },
        headers=headers,
    )
    assert refused.status_code == 422
    assert "runs past its end" in refused.get_json()["error"]["message"]
    assert refused.get_json()["error"]["field"] == "region"
    assert tag_of(item, OTHER) is None

    # Editing: left out keeps the region, "" clears it.
    kept = client.patch(
        f"/api/v1/tags/{body['id']}",
        json={"justification": "It shows me greeting a customer warmly."},
        headers=headers,
    ).get_json()
    assert kept["region"]["label"] == "0:00–0:01"
    cleared = client.patch(
        f"/api/v1/tags/{body['id']}",
        json={"justification": "It shows me greeting a customer warmly.", "region": ""},
        headers=headers,
    ).get_json()
    assert cleared["region"] is None
    untagged = client.get(f"/api/v1/evidence/{item.id}", headers=headers).get_json()
    assert untagged["tags"][0]["region"] is None


def test_a_file_without_a_readable_length_says_so(client, portfolio) -> None:
    item = add(portfolio, "sample.webm")
    # As if the container stated no duration (a browser's recorder): nothing to check against.
    stored = db.session.get(StoredFile, item.file_id)
    key = "evidence/2026/12/noduration"
    get_storage().save(key, io.BytesIO(b"\x1a\x45\xdf\xa3\x84\x42\x82\x81\x77"))
    stored.key = key
    db.session.flush()
    refused = client.post(
        f"/api/v1/evidence/{item.id}/tags",
        json={"ref": UNIT, "justification": "It shows me greeting a customer.", "region": "0-1s"},
        headers=bearer(portfolio.apprentice),
    )
    assert refused.status_code == 422
    assert "cannot read how long this recording is" in refused.get_json()["error"]["message"]


def test_the_matrix_links_each_region(login, portfolio) -> None:
    item = add(portfolio, "sample.pdf")
    services.tag_evidence(
        portfolio.apprentice, item, ref=UNIT, justification="Page one shows it.", region="p. 1"
    )
    page = (
        login(portfolio.tutor)
        .get(f"/apprenticeships/{portfolio.id}/coverage/matrix")
        .get_data(as_text=True)
    )
    assert f"/evidence/{item.id}/file?inline=1#page=1" in page
    assert "page 1<span" in page


def test_the_manifest_keeps_regions_and_still_verifies(login, journey) -> None:
    from showcase.submissions import services as submissions
    from tests.factories import prepare

    _item, _ao, people, (recording, statement) = journey
    services.tag_evidence(
        people["apprentice"],
        statement,
        ref=OTHER,
        justification="Marcus's statement, page one.",
        region="p. 1",
    )
    draft = prepare(journey)
    submissions.lock_submission(people["apprentice"], draft, storage=get_storage(), written=[])
    entries = {e["evidence_id"]: e for e in draft.manifest["items"]}
    (pdf_tag,) = [t for t in entries[statement.id]["tags"] if t["ref"] == OTHER]
    assert pdf_tag["region"] == {"kind": "pages", "start": 1, "end": 1, "label": "page 1"}
    # A tag without a region has no region key: such manifests are what they were before
    # regions existed, so those locked earlier verify unchanged.
    assert all("region" not in t for t in entries[recording.id]["tags"])
    assert submissions.verify(draft, get_storage()).ok
    page = login(people["tutor"]).get(f"/submissions/{draft.id}").get_data(as_text=True)
    assert f"Where to look for <code>{OTHER}</code>: page 1" in page


def test_a_manifest_locked_before_regions_still_verifies(journey) -> None:
    """The shape of a manifest written before this change (no region keys anywhere) verifies
    against its stored fingerprint: the fingerprint is over the stored manifest as it is."""
    from showcase.submissions import services as submissions
    from tests.factories import prepare

    _item, _ao, people, _items = journey
    draft = prepare(journey)
    submissions.lock_submission(people["apprentice"], draft, storage=get_storage(), written=[])
    assert not any("region" in t for e in draft.manifest["items"] for t in e["tags"])
    assert submissions.verify(draft, get_storage()).ok
