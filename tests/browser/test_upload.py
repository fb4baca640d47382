"""Uploading evidence in the browser: several files at once with a progress bar and a message
each, a refused file explained, a recording that plays and seeks, and a resumable upload that
survives a dropped connection."""

from __future__ import annotations

import hashlib
import io
import wave
from pathlib import Path

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.evidence.models import Evidence, StoredFile
from showcase.portfolios.models import Apprenticeship
from showcase.storage import MIN_PART_SIZE
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

SAMPLES = Path(__file__).parents[1] / "samples"


def amiras_apprenticeship(app) -> int:
    with app.app_context():
        amira = db.session.scalar(select(User).where(User.email == "amira@northgate.test"))
        return db.session.scalar(
            select(Apprenticeship.id).where(Apprenticeship.apprentice_id == amira.id)
        )


def item_for(list_item) -> str:
    return list_item.locator(".upload-status").inner_text()


def test_several_files_upload_with_progress_and_a_recording_plays(
    live_server, page, tmp_path
) -> None:
    apprenticeship = amiras_apprenticeship(live_server.app)
    hostile = tmp_path / "page.html"
    hostile.write_text("<!doctype html><html><script>alert(1)</script></html>")
    sign_in(page, live_server.url, "amira@northgate.test")
    page.goto(f"{live_server.url}/apprenticeships/{apprenticeship}/evidence/new")
    assert_accessible(page)

    page.set_input_files(
        "#files", [SAMPLES / "sample.jpg", SAMPLES / "sample.webm", SAMPLES / "sample.mp3", hostile]
    )
    items = page.locator("#upload-list .upload-item")
    page.wait_for_function(
        "() => document.querySelectorAll('#upload-list .upload-done, #upload-list .upload-failed')"
        ".length === 4"
    )
    texts = [items.nth(i).inner_text() for i in range(4)]
    for i, name in enumerate(("sample.jpg", "sample.webm", "sample.mp3")):
        assert name in texts[i]
        assert "Uploaded." in texts[i]
        assert items.nth(i).locator("progress").get_attribute("aria-label").endswith(name)
        assert items.nth(i).locator("progress").evaluate("bar => bar.value") == 100
    assert "page.html" in texts[3]
    assert "Not uploaded:" in texts[3] and "web page" in texts[3].lower()
    assert_accessible(page)

    # Open the video's page: the player loads the file through Range requests and can seek.
    ranges: list[str] = []
    page.on(
        "response",
        lambda r: (
            ranges.append(r.request.headers.get("range", ""))
            if "/file" in r.url and r.status == 206
            else None
        ),
    )
    items.nth(1).get_by_role("link").click()
    page.wait_for_load_state()
    video = page.locator("video")
    assert video.count() == 1
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); "
        "return v.readyState >= 1 && v.duration > 0 && isFinite(v.duration); }"
    )
    duration = video.evaluate("v => v.duration")
    seeked = video.evaluate(
        """v => new Promise(resolve => {
            v.addEventListener('seeked', () => resolve(v.currentTime), {once: true});
            v.currentTime = v.duration / 2;
        })"""
    )
    assert abs(seeked - duration / 2) < 1
    assert ranges, "the player made no Range request"
    played = video.evaluate("v => { v.muted = true; return v.play().then(() => true); }")
    assert played
    assert_accessible(page)


def make_wav(path: Path, size: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(bytes(range(256)) * ((size - 44) // 256))
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


@pytest.fixture
def resumable_threshold(live_server):
    config = live_server.app.config
    saved = config["RESUMABLE_THRESHOLD_BYTES"], config["RESUMABLE_PART_BYTES"]
    # Test-only settings: anything over 1 MiB goes in parts of the smallest size S3 allows.
    config["RESUMABLE_THRESHOLD_BYTES"] = 1024 * 1024
    config["RESUMABLE_PART_BYTES"] = MIN_PART_SIZE
    yield
    config["RESUMABLE_THRESHOLD_BYTES"], config["RESUMABLE_PART_BYTES"] = saved


def test_resumable_upload_survives_a_dropped_connection(
    live_server, page, tmp_path, resumable_threshold
) -> None:
    apprenticeship = amiras_apprenticeship(live_server.app)
    recording = tmp_path / "Long interview.wav"
    body = make_wav(recording, 2 * MIN_PART_SIZE + 300_000)
    dropped: list[str] = []
    patches: list[str] = []

    def drop_second_part(route) -> None:
        request = route.request
        if request.method == "PATCH":
            patches.append(request.headers.get("upload-offset", ""))
            if not dropped and request.headers.get("upload-offset") == str(MIN_PART_SIZE):
                dropped.append(request.url)
                route.abort("connectionreset")
                return
        route.continue_()

    sign_in(page, live_server.url, "amira@northgate.test")
    page.route("**/uploads/*", drop_second_part)
    page.goto(f"{live_server.url}/apprenticeships/{apprenticeship}/evidence/new")
    page.set_input_files("#files", recording)
    item = page.locator("#upload-list .upload-item").first
    page.wait_for_function(
        "() => document.querySelector('#upload-list .upload-done, #upload-list .upload-failed')",
        timeout=30_000,
    )
    assert "Uploaded." in item.inner_text(), item.inner_text()
    assert dropped, "the test did not drop a part"
    # The dropped part was sent again from the offset the server reported.
    assert patches.count(str(MIN_PART_SIZE)) == 2
    assert_accessible(page)
    with live_server.app.app_context():
        stored = db.session.scalar(
            select(StoredFile)
            .join(Evidence, Evidence.file_id == StoredFile.id)
            .where(StoredFile.display_name == "Long interview.wav")
        )
        assert stored is not None
        assert stored.sha256 == hashlib.sha256(body).hexdigest()


def test_resume_button_after_the_connection_keeps_dropping(
    live_server, page, tmp_path, resumable_threshold
) -> None:
    live_server.app.config["RESUMABLE_RETRY_BASE_MS"] = 50  # test-only: retry within seconds
    try:
        apprenticeship = amiras_apprenticeship(live_server.app)
        recording = tmp_path / "Shop floor.wav"
        body = make_wav(recording, MIN_PART_SIZE + 200_000)
        offline = [True]

        def flaky(route) -> None:
            is_part = route.request.method == "PATCH"
            if is_part and offline[0] and route.request.headers.get("upload-offset") != "0":
                route.abort("internetdisconnected")
            else:
                route.continue_()

        sign_in(page, live_server.url, "amira@northgate.test")
        page.route("**/uploads/*", flaky)
        page.goto(f"{live_server.url}/apprenticeships/{apprenticeship}/evidence/new")
        page.set_input_files("#files", recording)
        resume = page.get_by_role("button", name="Resume uploading Shop floor.wav")
        resume.wait_for(timeout=20_000)
        item = page.locator("#upload-list .upload-item").first
        assert "the connection keeps dropping" in item.inner_text()
        assert_accessible(page)

        offline[0] = False
        resume.click()
        page.wait_for_function(
            "() => document.querySelector('#upload-list .upload-done')", timeout=20_000
        )
        assert "Uploaded." in item.inner_text()
        with live_server.app.app_context():
            stored = db.session.scalar(
                select(StoredFile).where(StoredFile.display_name == "Shop floor.wav")
            )
            assert stored.sha256 == hashlib.sha256(body).hexdigest()
    finally:
        live_server.app.config.pop("RESUMABLE_RETRY_BASE_MS", None)
