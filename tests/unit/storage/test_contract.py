"""The Storage contract, run against every backend (local files, and S3 over HTTP via moto)."""

from __future__ import annotations

import hashlib
import io
import os
import random
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from showcase.storage import (
    MIN_PART_SIZE,
    InvalidPart,
    LocalStorage,
    ObjectExists,
    ObjectNotFound,
    Storage,
    StoredObject,
    UploadedPart,
    UploadNotFound,
)

from .conftest import MIB, leftovers

KEY = "evidence/2026/11/0123456789abcdef0123456789abcdef"


class TrickleStream:
    """A non-seekable reader that hands out odd-sized chunks, like a WSGI input."""

    def __init__(self, data: bytes, step: int = 7_777) -> None:
        self._data = memoryview(data)
        self._step = step
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        size = self._step if size < 0 else min(size, self._step)
        chunk = bytes(self._data[self._position : self._position + size])
        self._position += len(chunk)
        return chunk


class DroppingStream:
    """Hands out ``good`` bytes, then fails the way a dropped connection does."""

    def __init__(self, good: int) -> None:
        self._left = good

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise ConnectionResetError("client went away")
        size = min(self._left, 64 * 1024 if size < 0 else size)
        self._left -= size
        return b"x" * size


def payload(size: int, seed: int = 0) -> bytes:
    """Deterministic incompressible bytes."""
    return random.Random(seed).randbytes(size)


def read_all(storage: Storage, key: str) -> bytes:
    with storage.open(key) as stream:
        return stream.read()


# -- save, open, exists, size, delete ------------------------------------------------------------


def test_backends_implement_the_protocol(storage: Storage) -> None:
    assert isinstance(storage, Storage)


def test_save_then_read_back(storage: Storage) -> None:
    data = payload(300_000)
    stored = storage.save(KEY, TrickleStream(data))
    assert stored == StoredObject(key=KEY, size=len(data))
    assert storage.exists(KEY)
    assert storage.size(KEY) == len(data)
    assert read_all(storage, KEY) == data
    assert leftovers(storage) == [KEY]


def test_open_returns_a_stream_not_the_whole_object(storage: Storage) -> None:
    data = payload(3 * MIB)
    storage.save(KEY, io.BytesIO(data))
    with storage.open(KEY) as stream:
        assert stream.read(10) == data[:10]
        assert stream.read(5) == data[10:15]
        rest = b"".join(iter(lambda: stream.read(65536), b""))
    assert rest == data[15:]


def test_save_empty_object(storage: Storage) -> None:
    assert storage.save(KEY, io.BytesIO(b"")).size == 0
    assert read_all(storage, KEY) == b""


def test_keys_are_write_once(storage: Storage) -> None:
    storage.save(KEY, io.BytesIO(b"first"))
    with pytest.raises(ObjectExists):
        storage.save(KEY, io.BytesIO(b"second"))
    assert read_all(storage, KEY) == b"first"
    assert leftovers(storage) == [KEY]


def test_missing_objects(storage: Storage) -> None:
    assert not storage.exists(KEY)
    with pytest.raises(ObjectNotFound), storage.open(KEY):
        pass
    with pytest.raises(ObjectNotFound):
        storage.size(KEY)
    with pytest.raises(ObjectNotFound):
        storage.iter_range(KEY, 0, 10)
    storage.delete(KEY)  # deleting a missing key is not an error


def test_delete(storage: Storage) -> None:
    storage.save(KEY, io.BytesIO(b"gone soon"))
    storage.delete(KEY)
    assert not storage.exists(KEY)
    assert list(storage.keys()) == []
    storage.delete(KEY)
    # The key may be used again once deleted.
    storage.save(KEY, io.BytesIO(b"again"))
    assert read_all(storage, KEY) == b"again"


@pytest.mark.parametrize(
    "bad_key",
    [
        "",
        "/etc/passwd",
        "../outside",
        "evidence/../../outside",
        "evidence//double",
        "evidence/",
        "Evidence/upper",
        ".staging/x",
        "evidence/.partial",
        "spaces not allowed",
        "ünïcode",
        "back\\slash",
        "a..b",
        "x" * 600,
    ],
)
def test_invalid_keys_are_refused(storage: Storage, bad_key: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.save(bad_key, io.BytesIO(b"data"))
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.exists(bad_key)
    with pytest.raises(ValueError, match="invalid storage key"):
        storage.delete(bad_key)
    assert leftovers(storage) == []


# -- ranges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 0, slice(0, 1)),
        (10, 99, slice(10, 100)),
        (0, 99_999, slice(0, 100_000)),
        (99_990, 99_999, slice(99_990, 100_000)),
        (99_995, 200_000, slice(99_995, 100_000)),  # an end past the object is clamped
        (12_345, 67_890, slice(12_345, 67_891)),
    ],
)
def test_iter_range(storage: Storage, start: int, end: int, expected: slice) -> None:
    data = payload(100_000)
    storage.save(KEY, io.BytesIO(data))
    chunks = list(storage.iter_range(KEY, start, end, chunk_size=4096))
    assert b"".join(chunks) == data[expected]
    assert all(len(chunk) <= 4096 for chunk in chunks)


@pytest.mark.parametrize(("start", "end"), [(100_000, 100_010), (500, 499), (-1, 10)])
def test_iter_range_refuses_unsatisfiable_ranges(storage: Storage, start: int, end: int) -> None:
    storage.save(KEY, io.BytesIO(payload(100_000)))
    with pytest.raises(ValueError, match="range"):
        list(storage.iter_range(KEY, start, end))


# -- keys ----------------------------------------------------------------------------------------


def test_keys_by_prefix(storage: Storage) -> None:
    names = ["a/b/1", "a/b/2", "a/c/3", "ab/4", "x.txt", "a/b2/5"]
    for name in names:
        storage.save(name, io.BytesIO(name.encode()))
    assert sorted(storage.keys()) == sorted(names)
    assert sorted(storage.keys("a/")) == ["a/b/1", "a/b/2", "a/b2/5", "a/c/3"]
    # Prefixes are plain string prefixes, as on S3, not folder names.
    assert sorted(storage.keys("a/b")) == ["a/b/1", "a/b/2", "a/b2/5"]
    assert sorted(storage.keys("a")) == ["a/b/1", "a/b/2", "a/b2/5", "a/c/3", "ab/4"]
    assert list(storage.keys("nothing/")) == []


def test_keys_never_show_temp_files_or_unfinished_uploads(storage: Storage) -> None:
    storage.save(KEY, io.BytesIO(b"kept"))
    (storage.staging_dir() / "tmp-half-written.tmp").write_bytes(b"partial")
    upload_id = storage.begin_multipart("evidence/pending")
    storage.put_part(upload_id, "evidence/pending", 1, io.BytesIO(b"part"))
    assert list(storage.keys()) == [KEY]
    storage.abort_multipart(upload_id, "evidence/pending")


# -- adopt ---------------------------------------------------------------------------------------


def test_adopt_takes_the_file(storage: Storage) -> None:
    data = payload(200_000)
    path = storage.staging_dir() / "upload.tmp"
    path.write_bytes(data)
    assert storage.adopt(KEY, path) == StoredObject(KEY, len(data))
    assert not path.exists()
    assert read_all(storage, KEY) == data
    assert leftovers(storage) == [KEY]


def test_adopt_large_file(storage: Storage) -> None:
    # Over the test transfer threshold: S3 takes this as a multipart upload.
    data = payload(12 * MIB, seed=3)
    path = storage.staging_dir() / "big.tmp"
    path.write_bytes(data)
    storage.adopt(KEY, path)
    assert storage.size(KEY) == len(data)
    digest = hashlib.sha256()
    for chunk in storage.iter_range(KEY, 0, len(data) - 1, chunk_size=MIB):
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_adopt_refuses_a_taken_key_and_leaves_the_file(storage: Storage) -> None:
    storage.save(KEY, io.BytesIO(b"first"))
    path = storage.staging_dir() / "second.tmp"
    path.write_bytes(b"second")
    with pytest.raises(ObjectExists):
        storage.adopt(KEY, path)
    assert path.read_bytes() == b"second"  # still the caller's to clean up
    assert read_all(storage, KEY) == b"first"


def test_staging_dir_is_a_writable_folder(storage: Storage) -> None:
    folder = storage.staging_dir()
    assert folder.is_dir()
    assert folder == storage.staging_dir()
    (folder / "probe").write_bytes(b"ok")


# -- serving -------------------------------------------------------------------------------------


@pytest.mark.parametrize("inline", [False, True])
def test_presigned_url(storage: Storage, inline: bool) -> None:
    data = payload(50_000)
    storage.save(KEY, io.BytesIO(data))
    url = storage.presigned_url(
        KEY,
        filename="Témoignage ✓ final.pdf",
        content_type="application/pdf",
        inline=inline,
        expires_in=300,
    )
    if isinstance(storage, LocalStorage):
        assert url is None  # the app streams local files itself
        return
    assert url is not None
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;" if inline else "attachment;")
    assert 'filename="Temoignage  final.pdf"' in disposition
    assert "filename*=UTF-8''T%C3%A9moignage%20%E2%9C%93%20final.pdf" in disposition


# -- frozen copies -------------------------------------------------------------------------------


def test_copy_frozen(storage: Storage) -> None:
    data = payload(70_000)
    storage.save(KEY, io.BytesIO(data))
    frozen = "frozen/submission-1/" + KEY
    assert storage.copy_frozen(KEY, frozen) == StoredObject(frozen, len(data))
    assert read_all(storage, frozen) == data
    assert read_all(storage, KEY) == data
    with pytest.raises(ObjectExists):
        storage.copy_frozen(KEY, frozen)
    with pytest.raises(ObjectNotFound):
        storage.copy_frozen("evidence/missing", "frozen/missing")
    if isinstance(storage, LocalStorage):
        mode = (storage.root / frozen).stat().st_mode
        assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert not storage.exists("frozen/missing")


# -- resumable (multipart) uploads ---------------------------------------------------------------


def _three_parts() -> list[bytes]:
    return [payload(MIN_PART_SIZE, 1), payload(MIN_PART_SIZE, 2), payload(1234, 3)]


def test_multipart_upload(storage: Storage) -> None:
    chunks = _three_parts()
    upload_id = storage.begin_multipart(KEY)
    parts = [
        storage.put_part(upload_id, KEY, number, io.BytesIO(chunk))
        for number, chunk in enumerate(chunks, start=1)
    ]
    assert [part.size for part in parts] == [len(chunk) for chunk in chunks]
    assert storage.list_parts(upload_id, KEY) == parts
    assert not storage.exists(KEY)  # nothing appears until completion
    stored = storage.complete_multipart(upload_id, KEY, list(reversed(parts)))
    assert stored == StoredObject(KEY, sum(map(len, chunks)))
    assert read_all(storage, KEY) == b"".join(chunks)
    assert list(storage.list_multipart()) == []
    assert leftovers(storage) == [KEY]


def test_multipart_resume_after_a_dropped_part(storage: Storage) -> None:
    chunks = _three_parts()
    upload_id = storage.begin_multipart(KEY)
    first = storage.put_part(upload_id, KEY, 1, io.BytesIO(chunks[0]))
    with pytest.raises(ConnectionResetError):
        storage.put_part(upload_id, KEY, 2, DroppingStream(good=2 * MIB))
    # The client asks what arrived and resumes from there.
    assert storage.list_parts(upload_id, KEY) == [first]
    assert not any(name.startswith("staging:") for name in leftovers(storage))
    rest = [
        storage.put_part(upload_id, KEY, number, io.BytesIO(chunk))
        for number, chunk in enumerate(chunks[1:], start=2)
    ]
    storage.complete_multipart(upload_id, KEY, [first, *rest])
    assert read_all(storage, KEY) == b"".join(chunks)


def test_multipart_replaced_part_invalidates_its_old_etag(storage: Storage) -> None:
    upload_id = storage.begin_multipart(KEY)
    old = storage.put_part(upload_id, KEY, 1, io.BytesIO(payload(MIN_PART_SIZE, 7)))
    new = storage.put_part(upload_id, KEY, 1, io.BytesIO(payload(MIN_PART_SIZE, 8)))
    last = storage.put_part(upload_id, KEY, 2, io.BytesIO(b"tail"))
    assert old.etag != new.etag
    assert storage.list_parts(upload_id, KEY) == [new, last]
    with pytest.raises(InvalidPart):
        storage.complete_multipart(upload_id, KEY, [old, last])
    storage.complete_multipart(upload_id, KEY, [new, last])
    assert read_all(storage, KEY) == payload(MIN_PART_SIZE, 8) + b"tail"


def test_multipart_refuses_small_parts_before_the_last(storage: Storage) -> None:
    upload_id = storage.begin_multipart(KEY)
    parts = [
        storage.put_part(upload_id, KEY, number, io.BytesIO(b"tiny" * number)) for number in (1, 2)
    ]
    with pytest.raises(InvalidPart, match="5 MiB"):
        storage.complete_multipart(upload_id, KEY, parts)
    assert not storage.exists(KEY)
    storage.abort_multipart(upload_id, KEY)


def test_multipart_single_small_part_is_fine(storage: Storage) -> None:
    upload_id = storage.begin_multipart(KEY)
    part = storage.put_part(upload_id, KEY, 1, io.BytesIO(b"only part"))
    assert storage.complete_multipart(upload_id, KEY, [part]).size == 9
    assert read_all(storage, KEY) == b"only part"


def test_multipart_abort(storage: Storage) -> None:
    upload_id = storage.begin_multipart(KEY)
    storage.put_part(upload_id, KEY, 1, io.BytesIO(b"abandoned"))
    storage.abort_multipart(upload_id, KEY)
    assert list(storage.list_multipart()) == []
    with pytest.raises(UploadNotFound):
        storage.put_part(upload_id, KEY, 2, io.BytesIO(b"late"))
    with pytest.raises(UploadNotFound):
        storage.list_parts(upload_id, KEY)
    storage.abort_multipart(upload_id, KEY)  # twice is fine
    assert not storage.exists(KEY)
    assert leftovers(storage) == []


def test_list_multipart_reports_start_times(storage: Storage) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    first = storage.begin_multipart("evidence/one")
    second = storage.begin_multipart("evidence/two")
    uploads = {upload.upload_id: upload for upload in storage.list_multipart()}
    assert set(uploads) == {first, second}
    assert uploads[first].key == "evidence/one"
    for upload in uploads.values():
        assert upload.started_at.tzinfo is not None
        # moto answers every ListMultipartUploads with a fixed date in 2010; S3 doesn't.
        if isinstance(storage, LocalStorage):
            assert before <= upload.started_at <= datetime.now(UTC) + timedelta(seconds=5)
    for upload in uploads.values():
        storage.abort_multipart(upload.upload_id, upload.key)


def test_multipart_is_write_once(storage: Storage) -> None:
    upload_id = storage.begin_multipart(KEY)
    part = storage.put_part(upload_id, KEY, 1, io.BytesIO(b"late"))
    storage.save(KEY, io.BytesIO(b"someone else was first"))
    with pytest.raises(ObjectExists):
        storage.complete_multipart(upload_id, KEY, [part])
    assert read_all(storage, KEY) == b"someone else was first"
    with pytest.raises(ObjectExists):
        storage.begin_multipart(KEY)
    storage.abort_multipart(upload_id, KEY)


def test_unknown_upload_ids(storage: Storage) -> None:
    with pytest.raises(UploadNotFound):
        storage.put_part("0" * 32, KEY, 1, io.BytesIO(b"x"))
    with pytest.raises(UploadNotFound):
        storage.complete_multipart("0" * 32, KEY, [UploadedPart(1, "0" * 32, 10)])
    storage.abort_multipart("0" * 32, KEY)


def test_complete_refuses_forged_etags(storage: Storage) -> None:
    upload_id = storage.begin_multipart(KEY)
    part = storage.put_part(upload_id, KEY, 1, io.BytesIO(b"data"))
    for etag in ("../../etc/passwd", "0" * 32):
        with pytest.raises(InvalidPart):
            storage.complete_multipart(upload_id, KEY, [UploadedPart(1, etag, part.size)])
    assert not storage.exists(KEY)
    storage.abort_multipart(upload_id, KEY)


def test_part_numbers_are_checked(storage: Storage) -> None:
    upload_id = storage.begin_multipart(KEY)
    for number in (0, 10_001):
        with pytest.raises(ValueError, match="part numbers"):
            storage.put_part(upload_id, KEY, number, io.BytesIO(b"x"))
    storage.abort_multipart(upload_id, KEY)


# -- local specifics -----------------------------------------------------------------------------


def test_local_concurrent_writers_cannot_overwrite(local_storage: LocalStorage) -> None:
    barrier = threading.Barrier(4)

    def write(index: int) -> str:
        barrier.wait()
        try:
            local_storage.save(KEY, io.BytesIO(payload(500_000, index)))
        except ObjectExists:
            return "refused"
        return f"stored {index}"

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(write, range(4)))
    winners = [result for result in results if result.startswith("stored")]
    assert len(winners) == 1
    assert read_all(local_storage, KEY) == payload(500_000, int(winners[0].split()[1]))
    assert leftovers(local_storage) == [KEY]


def test_local_failed_write_leaves_nothing(local_storage: LocalStorage) -> None:
    with pytest.raises(ConnectionResetError):
        local_storage.save(KEY, DroppingStream(good=3 * MIB))
    assert leftovers(local_storage) == []


def test_local_layout(local_storage: LocalStorage) -> None:
    local_storage.save(KEY, io.BytesIO(b"on disk"))
    assert (local_storage.root / KEY).read_bytes() == b"on disk"
    assert local_storage.staging_dir() == local_storage.root / ".staging"
    # Staging is inside the root, so adopt() is a link on one filesystem.
    assert os.stat(local_storage.staging_dir()).st_dev == os.stat(local_storage.root).st_dev


def test_local_adopt_from_another_folder(local_storage: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(b"from elsewhere")
    local_storage.adopt(KEY, outside)
    assert not outside.exists()
    assert read_all(local_storage, KEY) == b"from elsewhere"
