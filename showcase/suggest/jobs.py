"""The extraction job: read an evidence file's text once its upload has committed.

Queued by ``showcase.suggest.events`` when the audit chain records ``evidence.added``; runs
inline after the commit (the embedded default) or on an RQ worker. It takes the item's id,
re-reads its rows, and is idempotent: a second run for the same file changes nothing. It never
raises for a file it cannot read: the failure is the extraction's recorded status, and the
upload it follows stays accepted whatever happens here.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from flask import current_app

from showcase import db
from showcase.evidence.models import Evidence
from showcase.storage_ext import get_storage
from showcase.suggest.extract import Extracted, Limits, extract_file
from showcase.suggest.models import EvidenceText, ExtractionStatus

log = logging.getLogger(__name__)

COPY_CHUNK = 1024 * 1024


def limits_from_config() -> Limits:
    config = current_app.config
    return Limits(
        max_bytes=int(config["SUGGEST_EXTRACT_MAX_BYTES"]),
        max_pages=int(config["SUGGEST_EXTRACT_MAX_PAGES"]),
        max_chars=int(config["SUGGEST_EXTRACT_MAX_CHARS"]),
        seconds=float(config["SUGGEST_EXTRACT_SECONDS"]),
    )


def extract_evidence_text(evidence_id: int) -> str | None:
    """Read the item's file into ``EvidenceText``; the status recorded, or None if skipped."""
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.file is None:
        return None
    stored = item.file
    row = db.session.get(EvidenceText, evidence_id)
    if row is not None and row.file_sha256 == stored.sha256:
        return row.status.value  # done already: a retried or repeated job changes nothing
    limits = limits_from_config()
    started = time.monotonic()
    try:
        result = _extract_stored(stored.key, stored.mime_type, stored.size, limits)
    except Exception as error:  # storage unreachable, a reader bug: recorded, never raised
        log.exception("Text extraction of evidence %s failed", evidence_id)
        result = Extracted(
            ExtractionStatus.FAILED, "none", detail=f"{type(error).__name__}: {error}"[:300]
        )
    if row is None:
        row = EvidenceText(evidence_id=evidence_id)
        db.session.add(row)
    row.file_sha256 = stored.sha256
    row.status = result.status
    row.method = result.method
    row.text = result.text
    row.truncated = result.truncated
    row.detail = result.detail
    row.seconds = round(time.monotonic() - started, 3)
    row.extracted_at = db.utcnow()
    db.session.flush()
    return row.status.value


def _extract_stored(key: str, mime: str, size: int, limits: Limits) -> Extracted:
    """Copy at most ``max_bytes`` (+1, to notice more) of the blob to a temp file and read it."""
    storage = get_storage()
    with tempfile.TemporaryDirectory(prefix="showcase-text-") as folder:
        path = Path(folder) / "blob"
        copied = 0
        with storage.open(key) as source, path.open("wb") as target:
            while copied <= limits.max_bytes:
                chunk = source.read(min(COPY_CHUNK, limits.max_bytes + 1 - copied))
                if not chunk:
                    break
                target.write(chunk)
                copied += len(chunk)
        return extract_file(path, mime, size, limits)
