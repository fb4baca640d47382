"""Every kind of page of the demo, in every role, on a phone (issue 18).

Each demo account signs in and follows same-origin links breadth-first from "/", as a person
tapping around would. A page is checked once per role for each route pattern (numbers in the
path stand for any id, so /evidence/1 and /evidence/2 are one page), up to PAGE_CAP patterns a
role. Not followed: sign-out and every other form (only links are), downloads (files, CSV,
calendar, JSON, PDF, manifests, export archives), the /api/, and pages the role may not open
(403 or 404: links to other roles' things).

On every page, at 390 × 844:

- no sideways scrolling (WCAG 2.2, 1.4.10 reflow), and none at 320 px wide either;
- every visible control at least 24 × 24 CSS px (2.5.8; links within text are excepted);
- axe-core finds nothing serious or critical. axe takes about a second a page, so it runs once
  per route pattern across all roles (the first role to reach a pattern), not once per role;
- the page, when first opened, is no taller than BUDGET_SCREENS screens, unless TALL_PAGES
  allows it with a reason.

And the same page again on a desktop, at 1280 × 800: no sideways scrolling, every control at
least 24 × 24 px, and axe-core (once per route pattern, as on the phone) finds nothing serious
or critical. The page is not loaded again: the viewport is resized.

Every failure of a role is collected and reported together, with the page, the role and the
measured numbers. Each page's measurements are written to test-artifacts/every-page.tsv.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import layout_problems, serious_violations, sign_in

pytestmark = pytest.mark.browser

#: The demo accounts, one per role and organisation (None: a visitor who has not signed in).
ACCOUNTS = [
    None,
    "amira@northgate.test",
    "ben@northgate.test",
    "chloe@northgate.test",
    "manager@northgate.test",
    "tutor@brightpath.test",
    "assessor@epa.test",
    "iqa@epa.test",
    "office@epa.test",
    "office@brightpath.test",
    "hr@northgate.test",
    "admin@showcase.test",
]
PHONE = {"width": 390, "height": 844}
NARROW = 320
WIDE = {"width": 1280, "height": 800}
BUDGET_SCREENS = 6
PAGE_CAP = 40

#: Route patterns allowed to be taller than the budget: the most screens allowed, and why.
TALL_PAGES: dict[str, tuple[int, str]] = {
    "/marking": (
        9,
        "the tutor's work queue: each tag keeps its Accept, comment and Send back in place, so "
        "the queue is marked by keyboard without opening anything (test_marking.py); the demo "
        "has 8 tags waiting, and the queue is paged at 20 (showcase.marking.services.PAGE_SIZE)",
    ),
}

#: Links not followed: downloads, the API, and anything that is not a page.
NOT_PAGES = re.compile(
    r"^/api/|^/static/|/sign-out|/file$|/pdf$|manifest|export|"
    r"\.(csv|ics|json|pdf|zip|txt|xml|png|jpe?g|svg)$"
)
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "every-page.tsv"

#: Route patterns axe has already checked, in any role (see the module's docstring).
_axe_checked: set[str] = set()
_axe_checked_wide: set[str] = set()
_measured: list[str] = []


def route_pattern(path: str) -> str:
    """The kind of page a path is: ids and tokens replaced by placeholders."""
    parts = []
    for part in path.rstrip("/").split("/") or [""]:
        if len(part) >= 20:
            parts.append("{token}")
        else:
            parts.append(re.sub(r"\d+", "{n}", part))
    return "/".join(parts) or "/"


@dataclass
class Crawl:
    role: str
    base: str
    failures: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def fail(self, url: str, problem: str) -> None:
        self.failures.append(f"{self.role} {url.removeprefix(self.base)}: {problem}")


def links(page, base: str) -> Iterator[str]:
    hrefs = page.eval_on_selector_all(
        "a[href]:not([download])", "links => links.map(link => link.href)"
    )
    for href in hrefs:
        url = urlsplit(href)
        if f"{url.scheme}://{url.netloc}" != base or NOT_PAGES.search(url.path):
            continue
        yield url.path or "/"


def check(page, crawl: Crawl, pattern: str) -> None:
    url = page.url
    height = page.evaluate("document.documentElement.scrollHeight")
    screens = height / PHONE["height"]
    for problem in layout_problems(page):
        crawl.fail(url, problem)
    allowed, _why = TALL_PAGES.get(pattern, (BUDGET_SCREENS, ""))
    if screens > allowed:
        crawl.fail(url, f"{height} px tall at 390 × 844: {screens:.1f} screens, over {allowed}")
    if pattern not in _axe_checked:
        _axe_checked.add(pattern)
        for violation in serious_violations(page):
            crawl.fail(url, f"axe: {violation}")
    page.set_viewport_size({"width": NARROW, "height": PHONE["height"]})
    narrow = page.evaluate("document.documentElement.scrollWidth")
    if narrow > NARROW:
        crawl.fail(url, f"scrolls sideways at {NARROW} px: {narrow} px wide")
    page.set_viewport_size(WIDE)
    check_wide(page, crawl, pattern)
    page.set_viewport_size(PHONE)
    _measured.append(f"{crawl.role}\t{url.removeprefix(crawl.base)}\t{height}\t{narrow}")


def check_wide(page, crawl: Crawl, pattern: str) -> None:
    """The desktop pass: reflow, targets and (once per route pattern) axe at 1280 × 800."""
    url = page.url
    for problem in layout_problems(page):
        crawl.fail(url, problem)
    if pattern not in _axe_checked_wide:
        _axe_checked_wide.add(pattern)
        for violation in serious_violations(page):
            crawl.fail(url, f"axe at {WIDE['width']} px: {violation}")


def visit_everything(page, crawl: Crawl, start: str) -> None:
    queue = deque([start])
    seen = {route_pattern(start)}
    while queue and len(crawl.checked) < PAGE_CAP:
        path = queue.popleft()
        response = page.goto(crawl.base + path)
        status = response.status if response else 0
        if status in (403, 404):
            continue  # another role's thing
        if status not in (200, 410):  # 410: a spent link's page (a witness link, an invitation)
            crawl.fail(crawl.base + path, f"HTTP {status}")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        landed = route_pattern(urlsplit(page.url).path)
        if landed in crawl.checked:
            continue  # redirected to a page already checked
        crawl.checked.append(landed)
        check(page, crawl, landed)
        for link in links(page, crawl.base):
            pattern = route_pattern(link)
            if pattern not in seen:
                seen.add(pattern)
                queue.append(link)


@pytest.fixture(scope="module", autouse=True)
def _measurements() -> None:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text("role\tpage\theight at 390 px\twidth at 320 px\n")


@pytest.mark.parametrize("email", ACCOUNTS, ids=lambda email: email or "visitor")
def test_every_page_on_a_phone(live_server, browser, email: str | None) -> None:
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    crawl = Crawl(role=email or "visitor", base=live_server.url)
    try:
        if email:
            sign_in(page, live_server.url, email)
            assert "/sign-in" not in page.url, f"{email} could not sign in"
        visit_everything(page, crawl, "/" if email else "/sign-in")
    finally:
        context.close()
        with ARTIFACT.open("a") as out:
            out.writelines(line + "\n" for line in _measured)
        _measured.clear()
    assert len(crawl.checked) >= 2, f"{crawl.role} reached only {crawl.checked}"
    assert not crawl.failures, (
        f"{len(crawl.failures)} problems on {len(crawl.checked)} pages:\n"
        + "\n".join(crawl.failures)
    )
