"""Deleted evidence: restorable by its apprentice for the retention period, then its file is
purged (recorded in its history), never for locked items, once only; reconcile reports it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from showcase import db
from showcase.audit.models import AuditEntry
from showcase.errors import Forbidden
from showcase.evidence import services
from showcase.evidence.jobs import purge_files
from showcase.evidence.models import Evidence, StoredFile
from showcase.storage_ext import get_storage

SAMPLE = (Path(__file__).parents[1] / "samples" / "sample.mp4").read_bytes()
LATER = dt.timedelta(days=31)


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


@pytest.fixture
def item(login, portfolio) -> Evidence:
    client = login(portfolio.apprentice)
    response = client.post(
        f"/apprenticeships/{portfolio.id}/evidence/upload",
        headers={"X-Filename": "clip.mp4", "Accept": "application/json"},
        data=SAMPLE,
    )
    assert response.status_code < 300, response.get_data(as_text=True)
    evidence = db.session.scalar(
        select(Evidence)
        .where(Evidence.apprenticeship_id == portfolio.id)
        .order_by(Evidence.id.desc())
    )
    assert evidence is not None and evidence.file is not None
    return evidence


def delete(client, evidence: Evidence) -> None:
    assert client.post(f"/evidence/{evidence.id}/delete").status_code == 302
    db.session.expire_all()


def actions(evidence: Evidence) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "Evidence", AuditEntry.object_id == evidence.id)
            .order_by(AuditEntry.id)
        )
    )


def test_deleted_item_is_listed_and_restored_by_its_apprentice(login, portfolio, item) -> None:
    client = login(portfolio.apprentice)
    delete(client, item)
    page = client.get(f"/apprenticeships/{portfolio.id}/evidence").get_data(as_text=True)
    assert "Recently deleted" in page and item.title in page
    response = client.post(f"/evidence/{item.id}/restore")
    assert response.status_code == 302
    db.session.expire_all()
    assert item.deleted_at is None and item.file is not None
    assert actions(item)[-1] == "evidence.restored"
    assert client.get(f"/evidence/{item.id}").status_code == 200


def test_others_cannot_restore(login, portfolio, item) -> None:
    delete(login(portfolio.apprentice), item)
    with pytest.raises(Forbidden):
        services.restore_evidence(
            portfolio.tutor, item, retention_days=30, now=item.deleted_at + dt.timedelta(days=1)
        )
    assert item.deleted_at is not None


def test_purge_after_retention_removes_blob_records_it_and_runs_once(
    login, portfolio, item
) -> None:
    storage = get_storage()
    key = item.file.key
    delete(login(portfolio.apprentice), item)
    deleted_at = item.deleted_at

    assert purge_files(deleted_at + dt.timedelta(days=29)) == []  # still restorable
    assert storage.exists(key)

    purged = purge_files(deleted_at + LATER)
    assert [p.key for p in purged] == [key]
    db.session.expire_all()
    assert not storage.exists(key)
    assert item.file_id is None and item.deleted_at is not None
    assert db.session.scalar(select(StoredFile).where(StoredFile.key == key)) is None
    assert actions(item)[-2:] == ["evidence.deleted", "evidence.file_purged"]

    assert purge_files(deleted_at + LATER) == []  # idempotent
    assert actions(item).count("evidence.file_purged") == 1
    with pytest.raises(Exception, match="can no longer"):
        services.restore_evidence(
            portfolio.apprentice, item, retention_days=30, now=deleted_at + dt.timedelta(days=1)
        )


def test_locked_item_is_never_purged(login, portfolio, item) -> None:
    delete(login(portfolio.apprentice), item)
    item.locked_at = item.deleted_at  # as if in a submitted showcase / a signed review
    db.session.flush()
    assert purge_files(item.deleted_at + LATER) == []
    assert get_storage().exists(item.file.key)


def test_recent_portfolio_export_holds_the_purge(login, portfolio, item) -> None:
    delete(login(portfolio.apprentice), item)
    when = item.deleted_at + LATER
    from showcase.audit.services import record

    record(None, "export.portfolio", portfolio, apprenticeship_id=portfolio.id)
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    entry.at = when - dt.timedelta(hours=1)
    db.session.flush()
    assert purge_files(when) == []
    assert get_storage().exists(item.file.key)


def test_reconcile_reports_and_command_purges(app, login, portfolio, item) -> None:
    size = item.file.size
    delete(login(portfolio.apprentice), item)
    runner = app.test_cli_runner()
    report = runner.invoke(args=["storage", "reconcile"])
    assert (
        f"1 blob(s) kept only by deleted items ({size} bytes; purged after 30 days" in report.output
    )
    dry = runner.invoke(args=["storage", "purge", "--dry-run"])
    assert "0 file(s) (0 bytes) would be purged" in dry.output
    # Make the deletion old enough.
    item.deleted_at = db.utcnow() - LATER
    db.session.flush()
    dry = runner.invoke(args=["storage", "purge", "--dry-run"])
    assert f"would purge evidence {item.id}" in dry.output
    assert get_storage().exists(item.file.key)
    done = runner.invoke(args=["storage", "purge"])
    assert done.exit_code == 0, done.output
    assert f"1 file(s) ({size} bytes)" in done.output
    again = runner.invoke(args=["storage", "purge"])
    assert "0 file(s) (0 bytes)" in again.output
    report = runner.invoke(args=["storage", "reconcile"])
    assert "kept only by deleted items" not in report.output  # none left: nothing to say


def test_purge_is_a_scheduled_job(app) -> None:
    from showcase.jobs import get_jobs

    assert "purge" in get_jobs(app).scheduled
