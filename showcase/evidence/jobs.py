"""The scheduled purge of deleted evidence's files (``flask jobs run purge``, daily by cron).

Deleted items stay restorable for ``DELETED_EVIDENCE_RETENTION_DAYS``; then their file goes.
Each item is its own transaction: its file row is dropped and the purge recorded in its
history, that commits, and only then is the blob deleted — a failure after the commit leaves an
orphan blob that ``flask storage reconcile`` reports, never a row pointing at nothing. The job is
idempotent: a purged item has no file left, so a second run finds nothing to do.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app

from showcase import db
from showcase.evidence.services import PurgedFile, purge_candidates, purge_evidence_file
from showcase.storage import Storage
from showcase.storage_ext import get_storage

log = logging.getLogger(__name__)


def purge_deleted_files(now: str | None = None) -> int:
    """Purge the files of evidence deleted longer than the retention period; how many."""
    return len(purge_files(dt.datetime.fromisoformat(now) if now else db.utcnow()))


def purge_files(now: dt.datetime, storage: Storage | None = None) -> list[PurgedFile]:
    """Purge each purgeable item, committing each before its blob is deleted."""
    storage = storage or get_storage()
    retention = float(current_app.config["DELETED_EVIDENCE_RETENTION_DAYS"])
    cutoff = now - dt.timedelta(days=retention)
    purged: list[PurgedFile] = []
    for evidence_id in purge_candidates(cutoff):
        try:
            done = purge_evidence_file(evidence_id, retention_days=retention, now=now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        if done is None:
            continue
        purged.append(done)
        try:
            storage.delete(done.key)
        except Exception:
            # The row change is committed; the blob is now an orphan that reconcile reports.
            log.exception("Purged evidence %s but could not delete %s", evidence_id, done.key)
    return purged
