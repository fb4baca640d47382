"""Signed checkpoints of the audit chain's head: a deleted tail is noticed, with the count."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import delete, func, select

from showcase import ConfigurationError, create_app, db
from showcase.assessment import services as assessment_services
from showcase.assessment.models import AssessmentStatus
from showcase.audit.models import AuditEntry
from showcase.audit.services import record
from showcase.standards.services import doc_for
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions.models import Submission
from tests.factories import api_headers, build_journey, prepare

PREFIX = "frozen/audit-checkpoints/"


@pytest.fixture
def journey(make):
    return build_journey(make)


def checkpoint_keys() -> list[str]:
    return sorted(get_storage().keys(PREFIX))


def stored_checkpoint(key: str) -> dict:
    with get_storage().open(key) as stream:
        return json.loads(stream.read())


def entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


@pytest.fixture
def locked_via_page(login, journey) -> Submission:
    """The apprentice submits through the page: the lock commits, then a checkpoint follows."""
    draft = prepare(journey)
    response = login(journey[2]["apprentice"]).post(f"/submissions/{draft.id}/lock")
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.get(Submission, draft.id)


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_lock_writes_a_checkpoint_of_the_committed_head(client, login, journey, via) -> None:
    draft = prepare(journey)
    assert checkpoint_keys() == []
    apprentice = journey[2]["apprentice"]
    if via == "page":
        assert login(apprentice).post(f"/submissions/{draft.id}/lock").status_code == 302
    else:
        headers = api_headers(apprentice)
        response = client.post(f"/api/v1/submissions/{draft.id}/lock", headers=headers)
        assert response.status_code == 200, response.get_json()
    chain = entries()
    assert chain[-1].action == "submission.locked"
    [key] = checkpoint_keys()
    assert key == f"{PREFIX}{len(chain):012d}-{chain[-1].hash}.json"
    data = stored_checkpoint(key)
    assert data["count"] == len(chain)
    assert data["last_entry_id"] == chain[-1].id
    assert data["head_hash"] == chain[-1].hash
    assert data["reason"] == "submission.locked"
    assert len(data["signature"]) == 64


def test_a_refused_lock_writes_no_checkpoint(login, journey) -> None:
    item, _ao, people, items = journey
    from showcase.submissions import services as submissions

    draft = submissions.start_version(people["apprentice"], item)
    submissions.set_items(people["apprentice"], draft, [items[0].id])
    page = login(people["apprentice"]).post(f"/submissions/{draft.id}/lock", follow_redirects=True)
    assert "not ready to submit" in page.get_data(as_text=True)
    assert checkpoint_keys() == []


def test_the_manifest_records_the_audit_head_at_lock_time(locked_via_page) -> None:
    lock_entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "submission.locked")
    )
    before = db.session.get(AuditEntry, lock_entry.id - 1)
    count_before = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.id < lock_entry.id)
    )
    # The head as it stood inside the lock's transaction: the lock's own entry follows it.
    assert locked_via_page.manifest["audit_head"] == {
        "count": count_before,
        "last_entry_id": before.id,
        "head_hash": before.hash,
    }
    assert lock_entry.prev_hash == before.hash


def graded_ready(journey):
    """An assigned assessment with every criterion judged met and every record written."""
    item, _ao, people, _items = journey
    draft = prepare(journey)
    from showcase.submissions import services as submissions

    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(people["apprentice"], draft, storage=storage, written=written)
    assessment = assessment_services.assign(people["ao_admin"], draft, people["assessor"])
    doc = doc_for(item.standard)
    for method in doc.methods:
        for criterion in doc.criteria(method.key):
            assessment_services.record_judgement(
                people["assessor"], assessment, ref=criterion.ref, met=True
            )
    for method in assessment_services.methods_needing_records(doc):
        assessment_services.save_method_record(
            people["assessor"],
            assessment,
            method_key=method.key,
            held_on=dt.date.today(),
            duration_minutes=60,
            notes="Seen in full.",
            areas=list(doc.plan.observation_mandatory_areas),
        )
    db.session.commit()
    return assessment


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_grade_writes_a_checkpoint(client, login, journey, via) -> None:
    assessment = graded_ready(journey)
    assessor = journey[2]["assessor"]
    before = checkpoint_keys()
    if via == "page":
        response = login(assessor).post(f"/assessments/{assessment.id}/confirm")
        assert response.status_code == 302
    else:
        response = client.post(
            f"/api/v1/assessments/{assessment.id}/confirm", headers=api_headers(assessor)
        )
        assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert assessment.status is AssessmentStatus.GRADED
    new = sorted(set(checkpoint_keys()) - set(before))
    assert len(new) == 1
    chain = entries()
    assert chain[-1].action == "assessment.graded"
    data = stored_checkpoint(new[0])
    assert (data["count"], data["head_hash"], data["reason"]) == (
        len(chain),
        chain[-1].hash,
        "assessment.graded",
    )


def test_verify_passes_against_the_checkpoint(app, locked_via_page) -> None:
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output
    assert f"matches the checkpoint of {len(entries())} entries" in result.output


@pytest.mark.parametrize("deleted", [1, 3])
def test_deleting_the_newest_entries_is_reported_with_the_count(
    app, locked_via_page, deleted
) -> None:
    chain = entries()
    survivor = chain[-deleted - 1]
    db.session.execute(
        delete(AuditEntry).where(AuditEntry.id.in_([e.id for e in chain[-deleted:]]))
    )
    result = verify(app)
    assert result.exit_code == 1, result.output
    missing = "1 entry" if deleted == 1 else f"{deleted} entries"
    assert f"{missing} missing after entry {survivor.id}" in result.output
    assert f"saw {len(chain)})" in result.output
    assert "chain intact" not in result.output


def test_a_rewritten_tail_is_reported(app, locked_via_page) -> None:
    """Deleting the tail and appending afresh leaves a chain that verifies on its own."""
    chain = entries()
    db.session.execute(delete(AuditEntry).where(AuditEntry.id == chain[-1].id))
    record(None, "test.appended_after_truncation")
    result = verify(app)
    assert result.exit_code == 1, result.output
    # SQLite reuses the deleted id (the entry is "no longer the one the checkpoint saw");
    # PostgreSQL's sequence does not (the entry is missing after its predecessor).
    first_line = result.output.splitlines()[0]
    assert "the checkpoint of" in first_line
    assert f"entry {chain[-1].id} is no longer" in first_line or (
        f"1 entry missing after entry {chain[-2].id}" in first_line
    )


def test_a_forged_checkpoint_is_reported(app, locked_via_page) -> None:
    """Someone who can write to the store but lacks the key cannot move the head."""
    [key] = checkpoint_keys()
    genuine = stored_checkpoint(key)
    forged = dict(genuine, count=genuine["count"] - 1, signature="0" * 64)
    forged_key = f"{PREFIX}{forged['count']:012d}-{'f' * 64}.json"
    forged["head_hash"] = "f" * 64
    get_storage().save(forged_key, io.BytesIO(json.dumps(forged).encode()))
    bigger = dict(genuine, count=genuine["count"] + 5)
    bigger_key = f"{PREFIX}{bigger['count']:012d}-{genuine['head_hash']}.json"
    get_storage().save(bigger_key, io.BytesIO(json.dumps(bigger).encode()))
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert f"{bigger_key}: the signature does not match" in result.output
    # The genuine checkpoint is still the one the chain is checked against.
    assert f"checked against the checkpoint of {genuine['count']} entries" in result.output


def test_a_checkpoint_signed_with_another_key_is_reported(
    app, locked_via_page, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_KEY", "a-rotated-key-verify-never-saw")
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert "was signed with key" in result.output


def test_checkpoint_command_is_idempotent(app, session) -> None:
    runner = app.test_cli_runner()
    record(None, "test.something")
    db.session.commit()
    first = runner.invoke(args=["audit", "checkpoint"])
    assert first.exit_code == 0, first.output
    assert f"Checkpoint written: {len(entries())} entries" in first.output
    again = runner.invoke(args=["audit", "checkpoint"])
    assert again.exit_code == 0, again.output
    assert "already checkpointed" in again.output
    assert len(checkpoint_keys()) == 1
    assert stored_checkpoint(checkpoint_keys()[0])["reason"] == "scheduled"


def test_production_needs_a_checkpoint_key(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOWCASE_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("SHOWCASE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.delenv("SHOWCASE_AUDIT_CHECKPOINT_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SHOWCASE_AUDIT_CHECKPOINT_KEY"):
        create_app("production")


def test_the_development_key_is_labelled_and_not_the_secret_key(app) -> None:
    from showcase.audit import checkpoints

    key = checkpoints.signing_key(app.config)
    assert key.key_id.startswith("dev-")
    assert key.secret != app.config["SECRET_KEY"].encode()
    configured = checkpoints.signing_key({**app.config, "AUDIT_CHECKPOINT_KEY": "k" * 40})
    assert not configured.key_id.startswith("dev-")
    assert configured.secret == b"k" * 40


def test_the_admin_page_reports_a_deleted_tail(client, login, make, locked_via_page) -> None:
    from showcase.accounts.models import Role

    chain = entries()
    db.session.execute(delete(AuditEntry).where(AuditEntry.id == chain[-1].id))
    client.post("/sign-out")  # the apprentice who locked
    page = login(make.user(Role.ADMIN)).get("/admin/audit").get_data(as_text=True)
    assert f"1 entry missing after entry {chain[-2].id}" in page
    assert f"saw {len(chain)})" in page


def test_verifying_a_submission_checks_the_audit_head_in_its_manifest(locked_via_page) -> None:
    from showcase.submissions import services as submissions

    assert submissions.verify(locked_via_page, get_storage()).ok
    head = locked_via_page.manifest["audit_head"]
    db.session.execute(delete(AuditEntry).where(AuditEntry.id == head["last_entry_id"] - 1))
    result = submissions.verify(locked_via_page, get_storage())
    assert not result.ok
    assert result.problems == [
        (
            None,
            "The audit trail no longer holds the entries recorded when this showcase was "
            "locked: 1 entry before entry "
            f"{head['last_entry_id']} is missing (the manifest saw {head['count']}).",
        )
    ]
