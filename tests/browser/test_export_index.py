"""The demo's locked showcase exported from its page, then read offline in Chromium."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.portfolios.models import Apprenticeship
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_exported_index_reads_offline_and_is_accessible(live_server, page, tmp_path) -> None:
    with live_server.app.app_context():
        amira = db.session.scalar(select(User).where(User.email == "amira@northgate.test"))
        apprenticeship_id = db.session.scalar(
            select(Apprenticeship.id).where(Apprenticeship.apprentice_id == amira.id)
        )
    sign_in(page, live_server.url, "amira@northgate.test")
    page.goto(f"{live_server.url}/apprenticeships/{apprenticeship_id}")
    page.get_by_role("link", name="Open the showcase").click()
    # The fingerprint and the export sit under the collapsed technical details.
    page.get_by_text("Details for assessors").click()
    fingerprint = page.locator("code.token").first.inner_text().strip()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export this version as a ZIP").click()
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "out")
    (folder,) = (tmp_path / "out").iterdir()
    checked = subprocess.run(
        [sys.executable, "-I", "-S", str(folder / "verify.py"), "--fingerprint", fingerprint],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout

    # Offline: every request that is not for a local file is refused and remembered.
    context = page.context
    context.set_offline(True)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    context.route("http*://**/*", lambda route: route.abort())
    page.goto((folder / "index.html").as_uri())
    assert page.get_by_role("heading", level=1).inner_text().startswith("Showcase of Amira Khan")
    expect(page.get_by_role("heading", name="Coverage on")).to_be_visible()
    expect(page.get_by_text(fingerprint).first).to_be_visible()
    first_file = page.locator("main a[href^='evidence/']").first
    href = first_file.get_attribute("href")
    assert (folder / href.replace("%20", " ")).is_file()
    assert_accessible(page)
    assert all(url.startswith("file://") for url in requested), requested
