"""The evidence list comes in keyset pages (newest activity first, then newest item): every item
once, in order, on the page and in the API; the same number of queries on page 1 and page 3,
for 20 items or 130; a page's HTML never grows with the portfolio."""

from __future__ import annotations

import datetime as dt

import pytest

from showcase import db
from showcase.evidence.models import EvidenceKind
from showcase.evidence.services import EVIDENCE_PAGE_SIZE
from tests.factories import add_item, api_headers


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


def fill(portfolio, count: int) -> list[int]:
    """``count`` items over a few activity dates (several share one, so the id breaks ties)."""
    ids = []
    for n in range(count):
        item = add_item(portfolio, EvidenceKind.REFLECTIVE_ACCOUNT, title=f"Item {n:03d}")
        item.activity_date = dt.date(2026, 1, 1) + dt.timedelta(days=n // 7)
        ids.append(item.id)
    db.session.flush()
    return ids


def expected_order(portfolio) -> list[int]:
    from showcase.evidence.models import Evidence

    items = db.session.query(Evidence).filter_by(apprenticeship_id=portfolio.id).all()
    return [e.id for e in sorted(items, key=lambda e: (e.activity_date, e.id), reverse=True)]


def test_the_api_pages_through_every_item_once_in_order(client, portfolio) -> None:
    fill(portfolio, 130)
    headers = api_headers(portfolio.apprentice)
    seen, after, pages = [], None, 0
    while True:
        answer = client.get(
            f"/api/v1/apprenticeships/{portfolio.id}/evidence",
            query_string={"limit": 50, **({"after": after} if after else {})},
            headers=headers,
        )
        assert answer.status_code == 200
        body = answer.get_json()
        assert body["total"] == 130
        seen += [i["id"] for i in body["items"]]
        pages += 1
        after = body["next"]
        if after is None:
            break
    assert pages == 3
    assert seen == expected_order(portfolio)


def test_the_page_shows_one_page_and_links_to_the_next(login, portfolio) -> None:
    fill(portfolio, EVIDENCE_PAGE_SIZE + 5)
    client = login(portfolio.apprentice)
    first = client.get(f"/apprenticeships/{portfolio.id}/evidence").get_data(as_text=True)
    assert first.count('class="card evidence-card"') == EVIDENCE_PAGE_SIZE
    assert f"{EVIDENCE_PAGE_SIZE + 5} items, {EVIDENCE_PAGE_SIZE} on this page" in first
    assert "First page" not in first
    next_link = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(next_link).get_data(as_text=True)
    assert second.count('class="card evidence-card"') == 5
    assert "First page" in second
    assert "Next " not in second.split('aria-label="Pages of evidence"')[1].split("</nav>")[0]


def test_filters_survive_the_next_page_link(login, portfolio) -> None:
    fill(portfolio, EVIDENCE_PAGE_SIZE + 5)
    client = login(portfolio.apprentice)
    page = client.get(
        f"/apprenticeships/{portfolio.id}/evidence", query_string={"q": "Item"}
    ).get_data(as_text=True)
    next_link = page.split('rel="next" href="')[1].split('"')[0]
    assert "q=Item" in next_link and "after=" in next_link


def test_a_broken_page_link_is_explained(client, portfolio) -> None:
    answer = client.get(
        f"/api/v1/apprenticeships/{portfolio.id}/evidence",
        query_string={"after": "yesterday.x"},
        headers=api_headers(portfolio.apprentice),
    )
    assert answer.status_code == 422
    assert "page link is not valid" in answer.get_json()["error"]["message"]


def test_query_count_does_not_grow_with_the_portfolio_or_the_page(
    login, make, count_queries
) -> None:
    small, large = make.apprenticeship(), make.apprenticeship()
    fill(small, 20)
    fill(large, 130)
    counts = []
    for portfolio in (small, large):
        client = login(portfolio.apprentice)
        with count_queries() as statements:
            client.get(f"/apprenticeships/{portfolio.id}/evidence")
        counts.append(len(statements))
        client.post("/sign-out")
    client = login(large.apprentice)
    headers = api_headers(large.apprentice)
    after = client.get(
        f"/api/v1/apprenticeships/{large.id}/evidence", headers=headers, query_string={"limit": 50}
    ).get_json()["next"]
    with count_queries() as statements:
        client.get(f"/apprenticeships/{large.id}/evidence", query_string={"after": after})
    counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2], counts
