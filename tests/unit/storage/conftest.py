"""Fixtures for the storage tests: both backends, a moto S3 server over HTTP, sample files."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from showcase.storage import LocalStorage, S3Storage, Storage

REPO_ROOT = Path(__file__).resolve().parents[3]
try:
    from tests.s3server import TEST_CREDENTIALS, moto_server, reset_moto
except ModuleNotFoundError:
    # tests/unit has no __init__.py, so pytest's rootdir-relative import did not put the repo
    # root on sys.path; add it so the shared helper can be imported the same way everywhere.
    sys.path.insert(0, str(REPO_ROOT))
    from tests.s3server import TEST_CREDENTIALS, moto_server, reset_moto

SAMPLES = REPO_ROOT / "tests" / "samples"
MIB = 1024 * 1024

#: Small multipart settings so tests exercise S3 multipart uploads with files of a few MiB
#: (5 MiB is S3's smallest part).
SMALL_TRANSFERS = TransferConfig(
    multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=2
)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of a moto S3 server running in a subprocess for the whole session."""
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> Any:
    """A plain boto3 client on the moto server, for setting up and inspecting buckets."""
    return boto3.session.Session(**TEST_CREDENTIALS).client(
        "s3", endpoint_url=s3_endpoint, config=Config(s3={"addressing_style": "path"})
    )


@pytest.fixture
def make_bucket(s3_client: Any, s3_endpoint: str) -> Iterator[Callable[..., str]]:
    """Create uniquely named buckets (optionally versioned or with Object Lock)."""
    created = []

    def make(*, object_lock: bool = False, versioned: bool = False) -> str:
        name = f"showcase-test-{uuid.uuid4().hex[:16]}"
        s3_client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
        if versioned:
            s3_client.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": "Enabled"}
            )
        created.append(name)
        return name

    yield make
    if created:
        reset_moto(s3_endpoint)


@pytest.fixture
def make_s3_storage(
    make_bucket: Callable[..., str], s3_client: Any, tmp_path: Path
) -> Iterator[Callable[..., S3Storage]]:
    """Build S3Storage instances on fresh buckets.

    They share the session's boto3 client, because building a client takes a noticeable
    fraction of a second; test_s3.py covers building one from credentials.
    """
    made: list[S3Storage] = []

    def make(bucket: str | None = None, **kwargs: Any) -> S3Storage:
        kwargs.setdefault("prefix", "showcase")
        kwargs.setdefault("transfer_config", SMALL_TRANSFERS)
        kwargs.setdefault("staging_dir", tmp_path / f"s3-staging-{len(made)}")
        kwargs.setdefault("client", s3_client)
        storage = S3Storage(bucket=bucket or make_bucket(), **kwargs)
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.close()


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    """A LocalStorage rooted in a fresh temp folder."""
    return LocalStorage(tmp_path / "uploads")


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """Each backend in turn: the contract suite runs against both."""
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    # Looked up lazily so local-only runs don't start the moto server.
    return request.getfixturevalue("make_s3_storage")()


def leftovers(storage: Storage) -> list[str]:
    """Everything a failed operation might have left: stored keys and staging files."""
    found = sorted(storage.keys())
    found += sorted(f"staging:{path.name}" for path in storage.staging_dir().iterdir())
    if isinstance(storage, LocalStorage):
        found += sorted(f"partial:{path.name}" for path in (storage.root / ".partial").iterdir())
    return found
