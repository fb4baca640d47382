"""Browser tests: Debian's Chromium driven by Playwright against a real server on loopback.

The server is werkzeug's threaded WSGI server on a free port, in this process, over its own
SQLite file with the demo data and CSRF switched on, as people use it. A screenshot of every
failing test is saved under test-artifacts/screenshots/. axe-core checks every page visited.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from showcase import create_app, db, migrate
from showcase.db import get_database
from showcase.demo import DEMO_PASSWORD, load_demo

CHROMIUM = os.environ.get("SHOWCASE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Flags for a sandboxed, offline, root-run CI machine (see the env notes in the README).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer:
    def __init__(self, app, url: str) -> None:
        self.app = app
        self.url = url


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("live")
    app = create_app(
        "testing",
        DATABASE_URL=f"sqlite:///{tmp / 'live.sqlite'}",
        UPLOAD_ROOT=str(tmp / "uploads"),
        WTF_CSRF_ENABLED=True,
    )
    migrate.upgrade(get_database(app).engine)
    with app.app_context():
        load_demo()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import expect

    # Assertions on what a page shows wait for it as long as actions do (a click that
    # navigates returns before the next page has rendered).
    expect.set_options(timeout=10_000)
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; scripts/test.sh installs Debian's package."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator:
    """A fresh browser context per test, phone-sized unless the test says otherwise."""
    marker = request.node.get_closest_marker("viewport")
    width, height = marker.args if marker else (390, 844)
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


def serious_violations(page) -> list[str]:
    """The serious or critical axe-core violations of the current page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    # A click that navigates returns once the next page starts loading; axe needs it loaded
    # (run too early, it met a document without a documentElement).
    page.wait_for_load_state()
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    return [
        f"{v['impact']}: {v['id']} — {v['help']} ({len(v['nodes'])} nodes: "
        + ", ".join(str(n["target"][0]) for n in v["nodes"][:3])
        + ")"
        for v in bad
    ]


def assert_accessible(page) -> None:
    """Fail on serious or critical axe-core violations of the current page."""
    bad = serious_violations(page)
    summary = "\n".join(bad)
    assert not bad, f"axe found accessibility problems on {page.url}:\n{summary}"


#: Visible controls smaller than 24 by 24 CSS px (a half-pixel allowed for rounding). Links
#: within text are excepted, as WCAG 2.2's 2.5.8 allows; links styled as buttons are not. A
#: visually hidden input (1 px, clipped) is pressed through its label, so the label is measured.
SMALL_TARGETS = """() => {
  const controls = document.querySelectorAll(
    'input:not([type=hidden]), button, select, textarea, a[role=button], a.button, summary');
  const area = box => box.width * box.height;
  return [...controls].flatMap(el => {
    let box = el.getBoundingClientRect();
    if ((box.width <= 1 || box.height <= 1) && el.labels && el.labels.length) {
      box = [...el.labels].map(label => label.getBoundingClientRect())
        .reduce((a, b) => area(a) >= area(b) ? a : b);
    }
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') return [];
    if (box.width >= 23.5 && box.height >= 23.5) return [];
    const name = el.id || el.name || el.textContent.trim().slice(0, 30);
    return [`${el.tagName.toLowerCase()}[${el.type || ''}] ${name}: ${box.width}×${box.height}`];
  });
}"""


def layout_problems(page) -> list[str]:
    """Sideways scrolling and targets under 24 × 24 px on the current page at its viewport."""
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    problems = [f"scrolls sideways at {width} px: {scroll} px wide"] if scroll > width else []
    small = page.evaluate(SMALL_TARGETS)
    problems += [f"target under 24 × 24 px at {width} px: {item}" for item in small]
    return problems


def sign_in(page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


# --- Keyboard-only flows (issue 18): what has focus, moving it with Tab, and what shows. ---

#: The focused element's description and its focus indicator (outline or box-shadow).
_FOCUSED = """() => {
  const el = document.activeElement;
  // A visually hidden input (1 px, clipped) shows its focus on its label.
  const box = el.getBoundingClientRect();
  const shown = (box.width <= 1 || box.height <= 1) && el.labels && el.labels.length
    ? el.labels[0] : el;
  const style = getComputedStyle(shown);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const label = (el.labels && el.labels.length ? el.labels[0].textContent : el.textContent)
    .trim().replace(/\\s+/g, ' ').slice(0, 60);
  return {tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id, label: label,
          ring: outline || shadow ? (outline ? style.outline : style.boxShadow) : ''};
}"""


def focused_element(page) -> dict:
    """The focused element: tag, type, id, label text, and its focus ring ('' when none)."""
    return page.evaluate(_FOCUSED)


def tab_until(page, matches, limit: int = 400, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until ``matches(focused_element(page))``; fail if the focus
    never gets there or is not visibly shown on the way's end."""
    for _ in range(limit):
        now = focused_element(page)
        if matches(now):
            assert now["ring"], f"focus is not visible on {now}"
            return now
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"the keyboard never reached it; focus is on {focused_element(page)}")


def status_in_view(page, status) -> None:
    """The status message is shown, is a status (announced), and is within the viewport."""
    assert status.get_attribute("role") == "status" or status.get_attribute("aria-live")
    box = status.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box is not None, "the status message is not shown"
    assert box["y"] < height and box["y"] + box["height"] > 0, (
        f"the status message is out of view: top {box['y']}, viewport {height} px tall"
    )
