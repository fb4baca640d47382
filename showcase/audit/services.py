"""Appending to and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from showcase import db
from showcase.accounts.models import User
from showcase.audit.models import GENESIS, AuditEntry

#: Arbitrary constant key for PostgreSQL's transaction-scoped advisory lock on the chain tail.
_CHAIN_LOCK = 7_262_024


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
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appenders until commit, so two requests never chain onto the same tail.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
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
    return entry


@dataclass
class ChainProblem:
    entry_id: int
    problem: str


def verify_chain() -> tuple[int, list[ChainProblem]]:
    """Re-hash every entry in order; return how many were checked and what is wrong."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    checked = 0
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
    return checked, problems
