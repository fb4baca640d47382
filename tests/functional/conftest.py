"""Fixtures of the functional tests that store files in S3 (moto's server over real HTTP).

A module that wants its app to keep files in S3 overrides the harness's ``app`` with
``s3_app``; each such module gets its own moto server, bucket and database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from showcase.storage import MIN_PART_SIZE
from tests.conftest import built_app
from tests.s3server import moto_server, new_bucket, s3_settings
from tests.s3server import s3_client as client_for


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def s3_client(s3_endpoint: str) -> Any:
    return client_for(s3_endpoint)


@pytest.fixture(scope="module")
def bucket(s3_client: Any, request: pytest.FixtureRequest, database_kind: str) -> str:
    """A bucket per module and database: under pytest-xdist a module's SQLite and PostgreSQL
    tests can interleave, and each half checks what it leaves in the bucket."""
    module = request.module.__name__.rsplit(".", 1)[-1].replace("_", "-")
    return new_bucket(s3_client, f"{module}-{database_kind}")


@pytest.fixture(scope="module")
def s3_app(
    database_kind: str,
    tmp_path_factory: pytest.TempPathFactory,
    s3_endpoint: str,
    bucket: str,
    request: pytest.FixtureRequest,
) -> Iterator[Flask]:
    """The harness's app, storing files in S3, with parts of S3's minimum size."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    with built_app(
        database_kind,
        tmp_path_factory.mktemp(f"{module}-{database_kind}"),
        f"_{module}",
        **s3_settings(s3_endpoint, bucket),
        RESUMABLE_PART_BYTES=MIN_PART_SIZE,
    ) as application:
        yield application
