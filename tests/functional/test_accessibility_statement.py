"""The accessibility statement is public and linked from every page; icons are drawn, not emoji;
API tokens live under the Account page rather than the main menu."""

from __future__ import annotations

import re
from pathlib import Path

from showcase.accounts.models import Role
from tests.conftest import sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

#: Characters that render as an empty box where no emoji or symbol font is installed: emoji and
#: pictographs, dingbats (✓ ✗), geometric shapes (▲ ▼ ○), miscellaneous symbols and technical
#: (⚠ ⏳), the arrows with an emoji presentation (↩ ↪), and the emoji variation selector.
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u25a0-\u25ff\u2300-\u23ff\u2b00-\u2bff\u21a9\u21aa\ufe0f]"
)
FOOTER_LINK = 'href="/accessibility">Accessibility statement</a>'


def test_statement_is_public_and_says_what_it_must(client) -> None:
    response = client.get("/accessibility")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Accessibility statement for Showcase</h1>" in page
    parts = ("WCAG) version 2.2", "level AA", "Known problems", "axe-core", "Reporting a problem")
    for part in parts:
        assert part in page, part


def test_footer_links_the_statement_signed_in_and_out(client, make) -> None:
    assert FOOTER_LINK in client.get("/sign-in").get_data(as_text=True)
    sign_in(client, make.user(Role.TUTOR))
    assert FOOTER_LINK in client.get("/").get_data(as_text=True)


def test_api_tokens_are_under_account_not_in_the_main_menu(client, make) -> None:
    sign_in(client, make.user(Role.APPRENTICE))
    home = client.get("/").get_data(as_text=True)
    nav = home.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert "API tokens" not in nav and "/account/tokens" not in nav
    assert 'href="/account"' in nav
    account = client.get("/account").get_data(as_text=True)
    assert "Manage your API tokens" in account


def test_no_template_uses_an_emoji_character_for_meaning() -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {match.group()!r}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for match in EMOJI.finditer(line)
    ]
    assert not found, "use templates/_icons.html instead of:\n" + "\n".join(found)


def test_icons_are_inline_svg_hidden_from_assistive_technology(app) -> None:
    with app.test_request_context():
        from flask import render_template_string

        html = render_template_string(
            '{% from "_icons.html" import icon %}{{ icon("lock") }}{{ icon("check", "done") }}'
        )
    assert html.count('<svg class="icon') == 2 and html.count('aria-hidden="true"') == 2
    assert '<span class="visually-hidden">done</span>' in html
