"""Appending to and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from blinker import signal
from sqlalchemy import func, select, text

from showcase import db, jobs
from showcase.audit.models import GENESIS, AuditEntry

if TYPE_CHECKING:
    from showcase.accounts.models import User

#: Arbitrary constant key for PostgreSQL's transaction-scoped advisory lock on the chain tail.
_CHAIN_LOCK = 7_262_024
#: Actions after whose commit a signed checkpoint of the chain's head is written (see
#: ``showcase.audit.checkpoints``): the decisions a later dispute is about.
CHECKPOINTED_ACTIONS = frozenset({"submission.locked", "assessment.graded"})


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _payload(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "apprenticeship_id": entry.apprenticeship_id,
        "details": entry.details,
    }


def record(
    actor: User | None,
    action: str,
    obj: Any = None,
    *,
    apprenticeship_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Append an entry in the current transaction (it commits or rolls back with the change)."""
    session = db.session
    _lock_tail()
    db.session.flush()  # give ``obj`` its id
    tail = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=db.utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "none",
        object_id=getattr(obj, "id", None),
        apprenticeship_id=apprenticeship_id,
        details=json.loads(json.dumps(details, default=str)),
        prev_hash=tail or GENESIS,
    )
    entry.hash = entry_hash(entry.prev_hash, _payload(entry))
    session.add(entry)
    session.flush()
    if action in CHECKPOINTED_ACTIONS:
        # A job, so the checkpoint is written after this entry's commit and never for one that
        # rolls back (jobs start on commit, dropped on rollback); no caller has to remember it.
        from showcase.audit.checkpoints import checkpoint_committed  # it imports this module

        jobs.enqueue(checkpoint_committed, entry.hash, action)
    # Subscribers (showcase.notifications) act on the entry in this same transaction.
    signal("showcase.audit.entry-recorded").send(entry)
    return entry


def _lock_tail() -> None:
    """Serialise appenders until commit, so two requests never chain onto the same tail."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})


@dataclass(frozen=True)
class ChainHead:
    """How long the chain is and what its newest entry is."""

    count: int
    last_entry_id: int | None
    head_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "last_entry_id": self.last_entry_id,
            "head_hash": self.head_hash,
        }


def chain_head(*, hold: bool = False) -> ChainHead:
    """The chain's head as this transaction sees it.

    ``hold=True`` also takes the appenders' lock (PostgreSQL) until commit, so the head read is
    the one the transaction's next entry will follow: the submission lock records it in the
    manifest. Without it (checkpoints, read after a commit) one statement reads the count and
    the newest entry from a single snapshot, so the two always agree.
    """
    if hold:
        _lock_tail()
        db.session.flush()
    total = select(func.count()).select_from(AuditEntry).scalar_subquery()
    row = db.session.execute(
        select(AuditEntry.id, AuditEntry.hash, total).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    if row is None:
        return ChainHead(0, None, GENESIS)
    return ChainHead(count=row[2], last_entry_id=row[0], head_hash=row[1])


@dataclass
class ChainProblem:
    #: The entry the problem is about; for a missing tail, the last entry that survives.
    entry_id: int | None
    problem: str
    #: The whole sentence, where "entry <id> <problem>" would not read well.
    summary: str | None = None

    @property
    def text(self) -> str:
        return self.summary or f"entry {self.entry_id} {self.problem}"


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def verify_chain(
    expected: ChainHead | None = None, *, seen_by: str = "the checkpoint"
) -> tuple[int, list[ChainProblem]]:
    """Re-hash every entry in order; return how many were checked and what is wrong.

    The chain alone cannot show that its newest entries were deleted: what is left still
    links up. ``expected`` is a head recorded where the database cannot rewrite it (a signed
    checkpoint, described by ``seen_by``); the chain must still hold it, as the same entry at
    the same position, or the entries missing after the last survivor are counted.
    """
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    checked = 0
    # One pass, constant memory: what we need to know about the expected head.
    upto_count, upto_last_id = 0, None  # entries with an id up to the head's
    found_at: int | None = None  # position of the entry carrying the head's hash
    found_id: int | None = None
    head_id_seen = False  # an entry with the head's id exists (perhaps with another hash)
    for entry in db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    ):
        checked += 1
        if entry.prev_hash != expected_prev:
            problems.append(
                ChainProblem(entry.id, "does not follow the entry before it (missing or reordered)")
            )
        if entry_hash(entry.prev_hash, _payload(entry)) != entry.hash:
            problems.append(ChainProblem(entry.id, "was changed after it was written"))
        expected_prev = entry.hash
        if expected is not None and expected.last_entry_id is not None:
            if entry.id <= expected.last_entry_id:
                upto_count += 1
                upto_last_id = entry.id
            if entry.id == expected.last_entry_id:
                head_id_seen = True
            if entry.hash == expected.head_hash and found_at is None:
                found_at, found_id = checked, entry.id
    if expected is None or expected.last_entry_id is None:
        return checked, problems
    if found_at is not None:
        if found_at != expected.count or found_id != expected.last_entry_id:
            difference = expected.count - found_at
            change = "removed" if difference > 0 else "added"
            problems.append(
                ChainProblem(
                    found_id,
                    f"was entry number {expected.count} (id {expected.last_entry_id}) when "
                    f"{seen_by} was written and is now number {found_at}: "
                    f"{_entries(abs(difference))} before it were {change}"
                    if difference
                    else f"was entry id {expected.last_entry_id} when {seen_by} was written: "
                    "entries were renumbered",
                )
            )
    elif not head_id_seen and expected.count > upto_count:
        missing = expected.count - upto_count
        after = f"entry {upto_last_id}" if upto_last_id is not None else "the start of the chain"
        problems.append(
            ChainProblem(
                upto_last_id,
                f"is followed by {_entries(missing)} that are missing "
                f"({seen_by} saw {expected.count})",
                summary=f"{_entries(missing)} missing after {after} "
                f"({seen_by} saw {expected.count})",
            )
        )
    else:
        problems.append(
            ChainProblem(
                expected.last_entry_id,
                f"is no longer the entry {seen_by} saw (hash {expected.head_hash[:12]}…): it, "
                "or entries before it, were deleted, replaced or rewritten",
            )
        )
    return checked, problems


def head_problem(head: ChainHead) -> str | None:
    """Why the chain no longer holds a head recorded elsewhere (a manifest), or None if it does.

    Three indexed look-ups rather than a walk of the chain: the entry must still be there, with
    the same hash, at the same position.
    """
    if head.last_entry_id is None:
        return None
    found = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id == head.last_entry_id))
    if found is None:
        return f"entry {head.last_entry_id} is missing"
    if found != head.head_hash:
        return f"entry {head.last_entry_id} was replaced or rewritten"
    position = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.id <= head.last_entry_id)
    )
    if position != head.count:
        difference = head.count - position
        state = "missing" if difference > 0 else "added"
        verb = "is" if abs(difference) == 1 else "are"
        return (
            f"{_entries(abs(difference))} before entry {head.last_entry_id} {verb} {state}"
            f" (the manifest saw {head.count})"
        )
    return None
