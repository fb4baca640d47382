"""The upload page sends a large file straight to S3 when the server keeps files there: Chromium
hashes each part, PUTs it to moto's server by its presigned URL (a real cross-origin request),
resumes after a dropped part, and shows the item once the server has checked the file."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from showcase import create_app, db, migrate
from showcase.db import get_database
from showcase.evidence.models import Evidence, StoredFile, UploadSession
from showcase.standards import services as standards
from showcase.storage import MIN_PART_SIZE
from tests.browser.conftest import LiveServer, assert_accessible, sign_in
from tests.factories import PASSWORD, Factory, make_wav
from tests.s3server import moto_server, new_bucket, s3_settings
from tests.s3server import s3_client as client_for

PREFIX = "showcase/"


@pytest.fixture(scope="module")
def s3() -> Iterator[tuple[Any, str, str]]:
    with moto_server() as url:
        client = client_for(url)
        bucket = new_bucket(client, "browser")
        # What a bucket that takes parts from browsers needs (README, "Direct uploads").
        client.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": ["*"],
                        "AllowedMethods": ["PUT"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                    }
                ]
            },
        )
        yield client, bucket, url


@pytest.fixture(scope="module")
def s3_server(s3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    _client, bucket, url = s3
    tmp = tmp_path_factory.mktemp("direct-live")
    app = create_app(
        "testing",
        DATABASE_URL=f"sqlite:///{tmp / 'live.sqlite'}",
        WTF_CSRF_ENABLED=True,
        **s3_settings(url, bucket, PREFIX),
        RESUMABLE_THRESHOLD_BYTES=1024 * 1024,
        RESUMABLE_PART_BYTES=MIN_PART_SIZE,
        RESUMABLE_RETRY_BASE_MS=50,
    )
    migrate.upgrade(get_database(app).engine)
    with app.app_context():
        standards.import_bundled()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=5)


def test_a_large_file_goes_straight_to_s3_and_resumes_after_a_drop(
    s3, s3_server, page, tmp_path: Path
) -> None:
    client, bucket, _url = s3
    with s3_server.app.app_context():
        portfolio = Factory().apprenticeship()
        email, apprenticeship = portfolio.apprentice.email, portfolio.id
        db.session.commit()
    recording = tmp_path / "Team meeting.wav"
    body = make_wav(2 * MIN_PART_SIZE + 200_000)
    recording.write_bytes(body)

    puts: list[str] = []
    dropped: list[str] = []

    def drop_second_part_once(route) -> None:
        request = route.request
        if request.method == "PUT":
            puts.append(request.url)
            if "partNumber=2" in request.url and not dropped:
                dropped.append(request.url)
                route.abort("connectionreset")
                return
        route.continue_()

    sign_in(page, s3_server.url, email, PASSWORD)
    page.route("**/quarantine/**", drop_second_part_once)
    page.goto(f"{s3_server.url}/apprenticeships/{apprenticeship}/evidence/new")
    page.set_input_files("#files", recording)
    item = page.locator("#upload-list .upload-item").first
    page.wait_for_function(
        "() => document.querySelector('#upload-list .upload-done, #upload-list .upload-failed')",
        timeout=60_000,
    )
    assert "Uploaded." in item.inner_text(), item.inner_text()
    assert dropped, "the test did not drop a part"
    assert sum("partNumber=2" in url for url in puts) == 2  # sent again after the drop
    assert_accessible(page)

    with s3_server.app.app_context():
        upload = db.session.scalar(select(UploadSession).where(UploadSession.direct.is_(True)))
        assert upload is not None and upload.state == "stored"
        stored = db.session.scalar(
            select(StoredFile)
            .join(Evidence, Evidence.file_id == StoredFile.id)
            .where(Evidence.id == upload.evidence_id)
        )
        assert stored.sha256 == hashlib.sha256(body).hexdigest()
    left = client.list_objects_v2(Bucket=bucket, Prefix=PREFIX + "quarantine/")
    assert left.get("KeyCount", 0) == 0
