"""Signed checkpoints of the audit chain's head, kept in the write-once store.

A hash chain shows an entry changed or removed in the middle, but not its newest entries deleted:
what is left still links up, and ``audit verify`` used to say "chain intact". A chain is only
tamper-evident when its head is also held somewhere the database cannot rewrite. A checkpoint is
that: the chain's length, newest entry id and hash, when, and which key signed it, as canonical
JSON with an HMAC-SHA256 signature under ``AUDIT_CHECKPOINT_KEY`` (configuration, never the
database). It is stored under a write-once key in ``frozen/audit-checkpoints/`` the way submitted
files are frozen: a read-only file locally, a legal hold where the S3 bucket has Object Lock.
``flask storage reconcile`` never touches ``frozen/``.

HMAC rather than Ed25519: the app that writes checkpoints is also the one that verifies them, so
a shared secret gives the same guarantee against someone who can rewrite the database or write
to the store but cannot read the app's configuration, with nothing but the standard library.

When. After the commit of every lock and every grade (``record()`` queues
``checkpoint_committed`` as a job, which starts once the entry has committed and is dropped if
it rolls back) and on a schedule (``flask audit checkpoint``, from cron or, later, the job
queue). Not inside the transaction: a checkpoint written before the commit could describe a
head that then rolls back, and verify would call an honest chain truncated. Written after the
commit, it describes entries that exist. What that costs: if the process dies between the
commit and the checkpoint, the newest entries are covered only by the next checkpoint. The
manifest of a locked submission records the head as it stood inside the lock's transaction (see
``submissions.services.lock_submission``); that commits with the manifest, so it is consistent
by construction.

Concurrency. Two requests committing close together may both checkpoint the same head: the key
is made of the length and the hash, so the second finds it taken and stops. A slow writer may
store an older head after a newer one; harmless, because verify reads the newest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from showcase import db
from showcase.audit.models import AuditEntry
from showcase.audit.services import (
    ChainHead,
    ChainProblem,
    chain_head,
    verify_chain,
)
from showcase.storage import ObjectExists, Storage
from showcase.storage_ext import get_storage

log = logging.getLogger(__name__)

#: Where checkpoints live: under frozen/, so they are write-once and never reconciled away.
PREFIX = "frozen/audit-checkpoints/"
#: Checkpoints are written here first, then copied to their protected key (see ``store``).
_PENDING = "audit-checkpoints/pending/"
#: "<count, zero-padded so names sort by length>-<head hash>.json"
_NAME = re.compile(r"(\d{12})-([0-9a-f]{64})\.json")
FORMAT = "showcase.audit.checkpoint/1"
#: A checkpoint is a few hundred bytes; never read more than this from a file claiming to be one.
_MAX_BYTES = 4096
_DEV_LABEL = b"showcase audit checkpoints: development key derived from SECRET_KEY"


class BadCheckpoint(Exception):
    """A stored checkpoint that cannot be trusted; the message says why."""


@dataclass(frozen=True)
class SigningKey:
    secret: bytes = field(repr=False)  # never printed
    key_id: str


def _key_id(secret: bytes) -> str:
    """A public name for a key, so a checkpoint says which key signed it."""
    return hashlib.sha256(b"showcase audit checkpoint key id\0" + secret).hexdigest()[:16]


def signing_key(config: Mapping[str, Any]) -> SigningKey:
    """The configured checkpoint key; in development and tests, one derived from SECRET_KEY.

    Production refuses to start without ``AUDIT_CHECKPOINT_KEY`` (config.py's REQUIRED). A key
    of its own, rather than SECRET_KEY, so rotating the session key does not orphan every
    checkpoint, and so the derived key's id ("dev-…") shows in each checkpoint it signed.
    """
    configured = config.get("AUDIT_CHECKPOINT_KEY")
    if configured:
        secret = str(configured).encode()
        return SigningKey(secret, _key_id(secret))
    base = config.get("SECRET_KEY")
    if not base:
        raise RuntimeError("Set SHOWCASE_AUDIT_CHECKPOINT_KEY to sign audit checkpoints.")
    secret = hmac.new(str(base).encode(), _DEV_LABEL, hashlib.sha256).digest()
    return SigningKey(secret, "dev-" + _key_id(secret))


def _canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at one moment, as signed and stored."""

    count: int
    last_entry_id: int
    head_hash: str
    at: dt.datetime
    key_id: str
    #: What prompted it: "submission.locked", "assessment.graded" or "scheduled".
    reason: str

    @property
    def key(self) -> str:
        return f"{PREFIX}{self.count:012d}-{self.head_hash}.json"

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.count, self.last_entry_id, self.head_hash)

    def describe(self) -> str:
        return f"the checkpoint of {self.at:%Y-%m-%d %H:%M:%S} UTC"

    def body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "count": self.count,
            "last_entry_id": self.last_entry_id,
            "head_hash": self.head_hash,
            "at": self.at.isoformat(),
            "key_id": self.key_id,
            "reason": self.reason,
        }

    def signed(self, key: SigningKey) -> bytes:
        """The stored form: the body and its HMAC-SHA256 over the body's canonical JSON."""
        if key.key_id != self.key_id:
            raise ValueError("a checkpoint is signed with the key it names")
        body = self.body()
        signature = hmac.new(key.secret, _canonical(body), hashlib.sha256).hexdigest()
        return _canonical({**body, "signature": signature})


def parse(data: bytes, key: SigningKey, *, name: str) -> Checkpoint:
    """Check a stored checkpoint's signature and name; raise BadCheckpoint saying what is wrong."""
    try:
        stored = json.loads(data)
        body = {k: v for k, v in stored.items() if k != "signature"}
        signature = str(stored["signature"])
        checkpoint = Checkpoint(
            count=int(body["count"]),
            last_entry_id=int(body["last_entry_id"]),
            head_hash=str(body["head_hash"]),
            at=dt.datetime.fromisoformat(body["at"]),
            key_id=str(body["key_id"]),
            reason=str(body.get("reason", "")),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        raise BadCheckpoint("is not a readable checkpoint") from None
    if body.get("format") != FORMAT:
        raise BadCheckpoint(f"has an unknown format {body.get('format')!r}")
    if checkpoint.key_id != key.key_id:
        raise BadCheckpoint(
            f"was signed with key {checkpoint.key_id}, not with the configured key "
            f"{key.key_id}: set SHOWCASE_AUDIT_CHECKPOINT_KEY to the key that wrote it"
        )
    expected = hmac.new(key.secret, _canonical(body), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise BadCheckpoint(
            "the signature does not match: Showcase did not write it, or it was changed"
        )
    if checkpoint.key != name:
        # Signed, but stored under another name: a copy meant to sort as the newest.
        raise BadCheckpoint(f"is stored under a name that is not its own ({checkpoint.key})")
    return checkpoint


def store(storage: Storage, checkpoint: Checkpoint, key: SigningKey) -> bool:
    """Store a checkpoint under its write-once key; False if that head is checkpointed already."""
    if storage.exists(checkpoint.key):
        return False
    # The Storage protocol protects an object (read-only file, S3 legal hold) only through
    # copy_frozen, as for submitted files; for a few hundred bytes a second write is nothing,
    # and no backend needs a new method. A crash between the two leaves a pending blob that
    # `flask storage reconcile --fix` removes.
    pending = f"{_PENDING}{uuid.uuid4().hex}.json"
    storage.save(pending, io.BytesIO(checkpoint.signed(key)))
    try:
        storage.copy_frozen(pending, checkpoint.key)
    except ObjectExists:
        return False  # another process checkpointed the same head a moment ago
    finally:
        storage.delete(pending)
    return True


def latest(storage: Storage, key: SigningKey) -> tuple[Checkpoint | None, list[str]]:
    """The newest checkpoint whose signature holds, and a problem for each newer one that fails."""
    problems = []
    for name in sorted(storage.keys(PREFIX), reverse=True):
        if not _NAME.fullmatch(name[len(PREFIX) :]):
            problems.append(f"{name}: is not named like a checkpoint")
            continue
        with storage.open(name) as stream:
            data = stream.read(_MAX_BYTES + 1)
        try:
            if len(data) > _MAX_BYTES:
                raise BadCheckpoint("is too large to be a checkpoint")
            return parse(data, key, name=name), problems
        except BadCheckpoint as bad:
            problems.append(f"{name}: {bad}")
    return None, problems


def write_checkpoint(storage: Storage, *, reason: str) -> tuple[Checkpoint | None, bool]:
    """Checkpoint the committed head; return it (None for an empty chain) and whether it is new.

    Call it after a commit: it reads the head the database holds, which must not roll back.
    """
    key = signing_key(current_app.config)
    head = chain_head()
    if head.last_entry_id is None:
        return None, False
    checkpoint = Checkpoint(
        count=head.count,
        last_entry_id=head.last_entry_id,
        head_hash=head.head_hash,
        at=db.utcnow(),
        key_id=key.key_id,
        reason=reason,
    )
    return checkpoint, store(storage, checkpoint, key)


def checkpoint_committed(entry_hash: str, action: str) -> None:
    """The job ``record()`` queues for a lock or grade: checkpoint the head once it committed.

    Idempotent: a head already checkpointed is found taken (``store``), and a newer head covers
    this entry too. A failure is left to the job machinery (logged inline, retried on RQ); the
    lock or grade itself is committed either way, and the next checkpoint covers it.
    """
    # Jobs start only after the commit, so the entry is there, unless the chain has been cut
    # since (a retried job): then a checkpoint of what is left would vouch for the cut.
    if db.session.scalar(select(AuditEntry.id).where(AuditEntry.hash == entry_hash)) is None:
        log.warning("Audit entry %s (%s) is gone; no checkpoint written for it", entry_hash, action)
        return
    write_checkpoint(get_storage(), reason=action)


@dataclass
class ChainReport:
    checked: int
    problems: list[ChainProblem]
    #: The checkpoint the chain was held against; None when there is none yet.
    checkpoint: Checkpoint | None


def verify(storage: Storage) -> ChainReport:
    """Re-hash the chain and hold it against the newest valid checkpoint."""
    key = signing_key(current_app.config)
    checkpoint, bad = latest(storage, key)
    if checkpoint is None:
        checked, problems = verify_chain()
    else:
        checked, problems = verify_chain(checkpoint.head, seen_by=checkpoint.describe())
    problems += [ChainProblem(None, problem, summary=f"checkpoint {problem}") for problem in bad]
    return ChainReport(checked, problems, checkpoint)
