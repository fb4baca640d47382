"""S3-only behaviour: prefixes, conditional writes, errors, Object Lock, the factory."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from showcase.errors import StorageUnavailable
from showcase.storage import LocalStorage, S3Storage, build_storage
from tests.s3server import TEST_CREDENTIALS, free_port

from .conftest import MIB

KEY = "evidence/2026/11/00000000000000000000000000000001"
MakeStorage = Callable[..., S3Storage]


def test_keys_stay_inside_the_prefix(make_s3_storage: MakeStorage, make_bucket: Any) -> None:
    bucket = make_bucket()
    one = make_s3_storage(bucket, prefix="one")
    two = make_s3_storage(bucket, prefix="two/")
    one.save(KEY, io.BytesIO(b"1"))
    two.save(KEY, io.BytesIO(b"2"))
    assert list(one.keys()) == [KEY]
    with one.open(KEY) as stream:
        assert stream.read() == b"1"
    with two.open(KEY) as stream:
        assert stream.read() == b"2"
    assert one.client.head_object(Bucket=bucket, Key=f"one/{KEY}")["ContentLength"] == 1


def test_every_write_to_our_keys_is_conditional(make_s3_storage: MakeStorage) -> None:
    storage = make_s3_storage()
    storage.save(KEY, io.BytesIO(b"first"))
    # Even a raw PutObject through the storage's client can't replace the object: the hook
    # adds If-None-Match: *, so S3 itself enforces write-once, not just our head_object check.
    with pytest.raises(ClientError) as caught:
        storage.client.put_object(Bucket=storage.bucket, Key=f"showcase/{KEY}", Body=b"second")
    assert caught.value.response["Error"]["Code"] == "PreconditionFailed"
    # Keys outside our prefix are left alone.
    storage.client.put_object(Bucket=storage.bucket, Key="elsewhere/x", Body=b"1")
    storage.client.put_object(Bucket=storage.bucket, Key="elsewhere/x", Body=b"2")


def test_large_saves_use_multipart_uploads(make_s3_storage: MakeStorage) -> None:
    storage = make_s3_storage()
    data = bytes(range(256)) * (11 * MIB // 256)
    storage.save(KEY, io.BytesIO(data))
    head = storage.client.head_object(Bucket=storage.bucket, Key=f"showcase/{KEY}")
    assert head["ETag"].strip('"').endswith("-3")  # three 5 MiB-or-less parts
    assert storage.size(KEY) == len(data)


def test_unreachable_endpoint_is_storage_unavailable(tmp_path: Path) -> None:
    storage = S3Storage(
        bucket="showcase",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
        staging_dir=tmp_path / "staging",
    )
    with pytest.raises(StorageUnavailable, match="File storage is unavailable"):
        storage.exists(KEY)
    with pytest.raises(StorageUnavailable, match="File storage is unavailable"):
        storage.save(KEY, io.BytesIO(b"data"))
    with pytest.raises(StorageUnavailable):
        list(storage.keys())
    assert list(storage.staging_dir().iterdir()) == []


def test_missing_bucket_is_storage_unavailable(make_s3_storage: MakeStorage) -> None:
    storage = make_s3_storage(bucket="showcase-no-such-bucket")
    with pytest.raises(StorageUnavailable, match="NoSuchBucket"):
        storage.adopt(KEY, _staged(storage, b"data"))
    with pytest.raises(StorageUnavailable, match="NoSuchBucket"):
        list(storage.keys())


def _staged(storage: S3Storage, data: bytes) -> Path:
    path = storage.staging_dir() / "staged.tmp"
    path.write_bytes(data)
    return path


def test_copy_frozen_under_object_lock(make_s3_storage: MakeStorage, make_bucket: Any) -> None:
    storage = make_s3_storage(make_bucket(object_lock=True), frozen_retention_days=30)
    storage.save(KEY, io.BytesIO(b"submitted"))
    storage.copy_frozen(KEY, f"frozen/{KEY}")
    frozen = {"Bucket": storage.bucket, "Key": f"showcase/frozen/{KEY}"}
    hold = storage.client.get_object_legal_hold(**frozen)
    assert hold["LegalHold"]["Status"] == "ON"
    # (head_object, because moto's GetObjectRetention answers 500.)
    head = storage.client.head_object(**frozen)
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=29)
    assert head["ObjectLockLegalHoldStatus"] == "ON"
    with storage.open(f"frozen/{KEY}") as stream:
        assert stream.read() == b"submitted"


def test_copy_frozen_without_object_lock(
    make_s3_storage: MakeStorage, make_bucket: Any, caplog: pytest.LogCaptureFixture
) -> None:
    versioned = make_s3_storage(make_bucket(versioned=True))
    versioned.save(KEY, io.BytesIO(b"submitted"))
    with caplog.at_level(logging.WARNING, logger="showcase.storage.s3"):
        versioned.copy_frozen(KEY, f"frozen/{KEY}")
    assert caplog.records == []
    with versioned.open(f"frozen/{KEY}") as stream:
        assert stream.read() == b"submitted"

    plain = make_s3_storage()
    plain.save(KEY, io.BytesIO(b"submitted"))
    with caplog.at_level(logging.WARNING, logger="showcase.storage.s3"):
        plain.copy_frozen(KEY, f"frozen/{KEY}")
    assert "neither Object Lock nor versioning" in caplog.text


def test_private_staging_dir_is_removed_on_close() -> None:
    storage = S3Storage(bucket="showcase", region="us-east-1", access_key="a", secret_key="b")
    folder = storage.staging_dir()
    assert folder.is_dir()
    storage.close()
    assert not folder.exists()


def test_build_storage_s3(s3_endpoint: str, make_bucket: Any) -> None:
    bucket = make_bucket()
    storage = build_storage(
        {
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": bucket,
            "S3_PREFIX": "/showcase/",
            "S3_ENDPOINT_URL": s3_endpoint,
            "S3_REGION": TEST_CREDENTIALS["region_name"],
            "S3_ACCESS_KEY_ID": TEST_CREDENTIALS["aws_access_key_id"],
            "S3_SECRET_ACCESS_KEY": TEST_CREDENTIALS["aws_secret_access_key"],
        }
    )
    assert isinstance(storage, S3Storage)
    assert storage.prefix == "showcase/"
    try:
        storage.save(KEY, io.BytesIO(b"via the factory"))
        assert list(storage.keys()) == [KEY]
    finally:
        storage.close()


def test_build_storage_local(tmp_path: Path) -> None:
    storage = build_storage({"STORAGE_BACKEND": "local", "UPLOAD_ROOT": str(tmp_path / "up")})
    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "up").resolve()
    # "local" is the default backend.
    assert isinstance(build_storage({"UPLOAD_ROOT": str(tmp_path / "up")}), LocalStorage)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "unknown STORAGE_BACKEND"),
        ({"STORAGE_BACKEND": "local"}, "UPLOAD_ROOT"),
        ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET"),
    ],
)
def test_build_storage_refuses_bad_config(config: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_storage(config)
