"""Password rules: 10 to 1,024 characters, not a common password, not the person's own name or
email, not too easy to guess; messages people understand."""

from __future__ import annotations

import time

import pytest

from showcase import db
from showcase.accounts import services
from showcase.accounts.models import Role
from showcase.accounts.passwords import MAX_PASSWORD_LENGTH, password_problem
from showcase.demo import DEMO_PASSWORD
from tests.factories import PASSWORD


@pytest.mark.parametrize(
    "password",
    ["password12", "1234567890", "qwertyuiop", "iloveyou12", "aaaaaaaaaaaa", "abcabcabcabc"],
)
def test_common_and_guessable_passwords_are_refused(password: str) -> None:
    problem = password_problem(password)
    assert problem is not None
    assert "guess" in problem or "common" in problem


def test_a_common_password_says_so() -> None:
    assert "common" in password_problem("sunshine12345")


@pytest.mark.parametrize("password", [PASSWORD, DEMO_PASSWORD, "lantern orchard ripple"])
def test_good_passwords_and_the_fixture_and_demo_ones_pass(password: str) -> None:
    assert password_problem(password) is None


def test_too_short_and_too_long() -> None:
    assert "at least 10" in password_problem("Zq8#vT2!")
    assert "at most 1,024" in password_problem("x" * (MAX_PASSWORD_LENGTH + 1))
    long_but_fine = ("lantern orchard ripple " * 50)[:MAX_PASSWORD_LENGTH]
    started = time.perf_counter()
    password_problem(long_but_fine)
    assert time.perf_counter() - started < 2, "checking a long password must stay cheap"


def test_the_persons_own_name_or_email_is_refused() -> None:
    email = "marguerite.okonkwo@example.test"
    assert "email" in password_problem("marguerite.okonkwo-2026!", email=email)
    assert "name" in password_problem("Okonkwo rules 77 forever", name="Marguerite Okonkwo")
    assert (
        password_problem("lantern orchard ripple", email=email, name="Marguerite Okonkwo") is None
    )


@pytest.mark.parametrize("size", [5_000, 1024 * 1024])
def test_an_overlong_password_is_not_stored(client, make, size: int) -> None:
    person = make.user(Role.APPRENTICE, password_hash=None)
    token = services.issue_invitation(None, person, ttl_hours=1)
    huge = ("correct horse battery " * (size // 22 + 1))[:size]
    response = client.post(f"/invitations/{token}", data={"password": huge, "confirm": huge})
    # Refused by the password rules, or before that by the request size limit.
    assert response.status_code in (200, 413)
    if response.status_code == 200:
        assert "at most 1,024" in response.get_data(as_text=True)
    db.session.expire_all()
    assert person.password_hash is None


def test_the_invitation_page_refuses_a_common_password(client, make) -> None:
    person = make.user(Role.APPRENTICE, password_hash=None)
    token = services.issue_invitation(None, person, ttl_hours=1)
    response = client.post(
        f"/invitations/{token}", data={"password": "password12", "confirm": "password12"}
    )
    assert response.status_code == 200
    assert "common" in response.get_data(as_text=True)
    assert person.password_hash is None
