"""Audit checkpoints land under frozen/, write-once and protected, on both backends."""

from __future__ import annotations

import datetime as dt
import stat
from typing import Any

import pytest

from showcase.audit.checkpoints import (
    PREFIX,
    BadCheckpoint,
    Checkpoint,
    latest,
    parse,
    signing_key,
    store,
)
from showcase.storage import LocalStorage

KEY = signing_key({"AUDIT_CHECKPOINT_KEY": "unit-test-checkpoint-key"})


def checkpoint(count: int = 12, head: str = "ab" * 32) -> Checkpoint:
    return Checkpoint(
        count=count,
        last_entry_id=count + 3,
        head_hash=head,
        at=dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC),
        key_id=KEY.key_id,
        reason="scheduled",
    )


def test_a_stored_checkpoint_is_read_back_and_write_once(storage) -> None:
    first = checkpoint()
    assert store(storage, first, KEY) is True
    assert store(storage, first, KEY) is False  # the same head again: already there
    assert sorted(storage.keys(PREFIX)) == [f"{PREFIX}000000000012-{'ab' * 32}.json"]
    # Only the protected copy is left; the pending write it was copied from is gone.
    assert sorted(storage.keys()) == [first.key]
    assert latest(storage, KEY) == (first, [])
    if isinstance(storage, LocalStorage):
        assert not stat.S_IMODE((storage.root / first.key).stat().st_mode) & 0o222


def test_the_newest_checkpoint_wins_and_forgeries_are_named(local_storage) -> None:
    older, newer = checkpoint(12), checkpoint(40, "cd" * 32)
    store(local_storage, older, KEY)
    store(local_storage, newer, KEY)
    other = signing_key({"AUDIT_CHECKPOINT_KEY": "someone-else"})
    forged = Checkpoint(**{**newer.__dict__, "count": 99, "key_id": other.key_id})
    store(local_storage, forged, other)
    found, problems = latest(local_storage, KEY)
    assert found == newer
    assert problems == [
        f"{forged.key}: was signed with key {other.key_id}, not with the configured key "
        f"{KEY.key_id}: set SHOWCASE_AUDIT_CHECKPOINT_KEY to the key that wrote it"
    ]


def test_a_signed_checkpoint_under_another_name_is_refused() -> None:
    data = checkpoint().signed(KEY)
    with pytest.raises(BadCheckpoint, match="not its own"):
        parse(data, KEY, name=f"{PREFIX}000000000099-{'ab' * 32}.json")
    with pytest.raises(BadCheckpoint, match="signature does not match"):
        parse(data.replace(b'"count":12', b'"count":13'), KEY, name=checkpoint(13).key)


def test_on_s3_with_object_lock_the_checkpoint_is_under_legal_hold(
    make_s3_storage: Any, make_bucket: Any
) -> None:
    storage = make_s3_storage(make_bucket(object_lock=True))
    made = checkpoint()
    assert store(storage, made, KEY)
    hold = storage.client.get_object_legal_hold(
        Bucket=storage.bucket, Key=f"{storage.prefix}{made.key}"
    )
    assert hold["LegalHold"]["Status"] == "ON"
    assert latest(storage, KEY) == (made, [])
