"""Follow the audit chain: an accepted upload (``evidence.added``) queues its text extraction.

Like ``showcase.notifications.events``, this subscribes to the signal ``record()`` sends with
each new entry, in the change's transaction; the job is noted on that transaction and starts
only once it commits (dropped on a rollback), so extraction never delays or fails the upload.
"""

from __future__ import annotations

from blinker import signal

from showcase import jobs
from showcase.audit.models import AuditEntry
from showcase.suggest.jobs import extract_evidence_text

#: The blinker signal ``showcase.audit.services.record`` sends with each new entry.
ENTRY_RECORDED = "showcase.audit.entry-recorded"


def subscribe() -> None:
    """Follow the audit chain (idempotent: blinker connects a receiver once)."""
    signal(ENTRY_RECORDED).connect(on_entry, weak=False)


def on_entry(entry: AuditEntry, **_: object) -> None:
    if entry.action == "evidence.added" and entry.object_id is not None:
        if entry.details.get("sha256"):  # only items with a file have text to read
            jobs.enqueue(extract_evidence_text, entry.object_id)
