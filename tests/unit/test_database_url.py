"""psycopg's prepare_threshold travels in the database URL (PgBouncer in transaction mode needs
prepared statements off) but is not a libpq setting: it must leave the URL for connect()."""

from __future__ import annotations

import pytest

from showcase.db import _prepare_threshold

BASE = "postgresql+psycopg://showcase@db.internal:5432/showcase"


@pytest.mark.parametrize(
    ("query", "expected"), [("none", None), ("NONE", None), ("0", 0), ("5", 5)]
)
def test_prepare_threshold_moves_from_the_url_to_connect_args(query, expected) -> None:
    connect_args: dict = {}
    url = _prepare_threshold(f"{BASE}?prepare_threshold={query}&sslmode=require", connect_args)
    assert connect_args == {"prepare_threshold": expected}
    assert url == f"{BASE}?sslmode=require"


def test_a_url_without_it_is_left_alone() -> None:
    connect_args: dict = {}
    assert _prepare_threshold(BASE, connect_args) == BASE
    assert connect_args == {}
