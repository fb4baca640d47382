"""Structured reviews: sections as data (default and per provider, validated), each party writing
their own before they sign (through the services, the page and the API), signatures cleared by a
change, the frozen review keeping every section, and the wellbeing section seen by the apprentice
and the tutor only (never the line manager, an admin, the assessor, the evidence item, the API
for others or an export)."""

from __future__ import annotations

import datetime as dt
import html
import io
import zipfile

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Role
from showcase.errors import Conflict, Forbidden, NotFound
from showcase.evidence.models import Evidence
from showcase.reviews import sections, services
from showcase.reviews.forms import FollowUpForm
from showcase.reviews.models import ReviewSection
from showcase.standards.sufficiency import add_months
from tests.factories import api_headers, sign_all, write_own_sections

WELLBEING = "Struggling with the early shifts; agreed a later Thursday start."
REFLECTION = "I handled my first complaint on my own."


@pytest.fixture
def portfolio(make):
    return make.apprenticeship(start_date=add_months(dt.date.today(), -4))


def _write_all(portfolio, review) -> None:
    services.save_section(portfolio.apprentice, review, "apprentice_reflection", REFLECTION)
    services.save_section(portfolio.line_manager, review, "employer_comments", "Reliable.")
    services.save_section(portfolio.tutor, review, "tutor_comments", "Good knowledge units.")
    services.save_section(portfolio.tutor, review, "wellbeing", WELLBEING)


# ---- the template as data -------------------------------------------------------------------


def test_the_default_template_lists_the_sections_of_the_issue() -> None:
    template = sections.load(sections.BUNDLED_DIR / sections.DEFAULT_FILE)
    assert [s.key for s in template.sections] == [
        "progress",
        "apprentice_reflection",
        "employer_comments",
        "tutor_comments",
        "wellbeing",
        "off_the_job",
        "targets",
        "next_review",
    ]
    writers = {s.key: s.writer for s in template.sections}
    assert writers["apprentice_reflection"] == "apprentice"
    assert writers["employer_comments"] == "employer"
    assert writers["off_the_job"] == "system"
    assert [s.key for s in template.sections if s.sensitive] == ["wellbeing"]
    # Each party writes their own part before they sign; wellbeing may stay empty.
    assert [s.key for s in template.sections if s.required] == [
        "apprentice_reflection",
        "employer_comments",
        "tutor_comments",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "sections: [{key: a, title: A, writer: tutor}, {key: a, title: B, writer: tutor}]",
            "sections[1].key: 'a' is used twice",
        ),
        ("sections: [{key: a, title: A, writer: boss}]", "sections[0].writer"),
        ("sections: [{key: hours, title: A, writer: system}]", "a system section must be one of"),
        ("sections: [{key: progress, title: A, writer: tutor}]", "is filled in by the system"),
        (
            "sections: [{key: targets, title: A, writer: system, sensitive: true}]",
            "cannot be sensitive",
        ),
        ("sections: [{key: A b, title: A, writer: tutor}]", "sections[0].key"),
        ("sections: [{key: a, title: A, writer: tutor, colour: red}]", "sections[0].colour"),
        ("sections: []", "sections"),
        ("- just a list", "the top level must be"),
        ("sections: [", "invalid YAML"),
    ],
)
def test_an_invalid_sections_file_is_refused_with_where_and_why(text: str, problem: str) -> None:
    with pytest.raises(sections.SectionsFileError) as error:
        sections.parse(text, "provider-7.yaml")
    assert error.value.message.startswith("provider-7.yaml: ")
    assert problem in error.value.message


def test_a_provider_uses_its_own_sections(app, make, tmp_path, monkeypatch) -> None:
    item = make.apprenticeship()
    other = make.apprenticeship()
    (tmp_path / f"provider-{item.provider_id}.yaml").write_text(
        "sections:\n"
        "  - {key: progress, title: Where you are, writer: system}\n"
        "  - {key: goals, title: My goals, writer: apprentice, required: true}\n"
    )
    monkeypatch.setitem(app.config, "REVIEW_SECTIONS_DIR", str(tmp_path))
    assert [s.key for s in services.template_of(item).sections] == ["progress", "goals"]
    assert services.template_of(other).sections[1].key == "apprentice_reflection"
    # A required section blocks its writer's signature, and everybody else's, until written.
    review = services.ensure_review(item.tutor, item, 3)
    with pytest.raises(Conflict, match="still to write — the apprentice: “My goals”"):
        services.sign_review(item.tutor, review)
    with pytest.raises(Conflict, match="Write “My goals” before you sign"):
        services.sign_review(item.apprentice, review)
    services.save_section(item.apprentice, review, "goals", "Take complaints calls.")
    services.sign_review(item.tutor, review)
    services.sign_review(item.apprentice, review)
    services.sign_review(item.line_manager, review)
    assert review.is_frozen
    # A broken file stops with a message naming it, not a silent fall back to the default.
    (tmp_path / f"provider-{other.provider_id}.yaml").write_text("sections: [{key: 1}]")
    with pytest.raises(sections.SectionsFileError, match=f"provider-{other.provider_id}.yaml"):
        services.template_of(other)


# ---- writing ------------------------------------------------------------------------------


def test_each_party_writes_only_their_own_section(portfolio) -> None:
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    row = services.save_section(portfolio.apprentice, review, "apprentice_reflection", REFLECTION)
    assert (row.text, row.writer, row.written_by_id) == (
        REFLECTION,
        "apprentice",
        portfolio.apprentice_id,
    )
    for user, key in (
        (portfolio.apprentice, "employer_comments"),
        (portfolio.line_manager, "wellbeing"),
        (portfolio.line_manager, "tutor_comments"),
        (portfolio.tutor, "apprentice_reflection"),
    ):
        with pytest.raises(Forbidden):
            services.save_section(user, review, key, "x")
    for key in ("progress", "off_the_job", "nope"):
        with pytest.raises(NotFound):
            services.save_section(portfolio.tutor, review, key, "x")


def test_a_changed_section_clears_the_signatures(portfolio) -> None:
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    _write_all(portfolio, review)
    services.sign_review(portfolio.tutor, review)
    services.sign_review(portfolio.apprentice, review)
    services.save_section(portfolio.line_manager, review, "employer_comments", "Reliable.")
    assert review.tutor_signed_at is not None, "the same words change nothing"
    services.save_section(portfolio.line_manager, review, "employer_comments", "Very reliable.")
    assert review.tutor_signed_at is None and review.apprentice_signed_at is None


# ---- written before signing ------------------------------------------------------------------

PARTIES = [
    ("apprentice", "apprentice", "apprentice_reflection", "The apprentice's reflection"),
    ("line_manager", "employer", "employer_comments", "The employer's comments"),
    ("tutor", "tutor", "tutor_comments", "The tutor's comments"),
]


@pytest.mark.parametrize(("who", "role", "key", "title"), PARTIES)
def test_nobody_signs_before_writing_their_own_section(portfolio, who, role, key, title) -> None:
    person = getattr(portfolio, who)
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    # The other two have written theirs: somebody else's words do not count.
    others = [getattr(portfolio, w) for w, *_ in PARTIES if w != who]
    write_own_sections(review, *others)
    for text in (None, " \n\t "):  # never written; then only whitespace
        if text is not None:
            services.save_section(person, review, key, text)
        with pytest.raises(services.SectionsMissing) as refused:
            services.sign_review(person, review)
        assert (refused.value.status_code, refused.value.code) == (409, "review_section_missing")
        assert refused.value.field == key
        assert refused.value.message == f"Write “{title}” before you sign: it is yours to write."
        assert review.signed_at(role) is None
    services.save_section(person, review, key, "Written.")
    services.sign_review(person, review)  # the tutor's wellbeing section is still empty
    assert review.signed_at(role) is not None


def test_nobody_signs_until_every_part_is_written(login, client, portfolio) -> None:
    """A part written after somebody signed would clear their signature again: so nobody signs
    until all three have written, and the page and the API say whose part is still missing."""
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    write_own_sections(review, portfolio.tutor)
    waiting = (
        "Everyone signs once every part is written: still to write — the apprentice: "
        "“The apprentice's reflection”; the line manager: “The employer's comments”."
    )
    with pytest.raises(services.SectionsMissing) as refused:
        services.sign_review(portfolio.tutor, review)
    assert refused.value.message == waiting
    assert refused.value.field == "apprentice_reflection"
    base = f"/apprenticeships/{portfolio.id}/reviews/3"
    login(portfolio.tutor)
    page = html.unescape(client.get(base).get_data(as_text=True))
    assert waiting in page and "Sign this review" not in page
    response = client.post(f"/api/v1{base}/sign", headers=api_headers(portfolio.tutor))
    assert response.status_code == 409
    assert response.json["error"]["message"] == waiting
    sections_out = client.get(f"/api/v1{base}", headers=api_headers(portfolio.tutor)).json
    required = [s["key"] for s in sections_out["sections"] if s["required"]]
    assert required == ["apprentice_reflection", "employer_comments", "tutor_comments"]
    write_own_sections(review, portfolio.apprentice, portfolio.line_manager)
    page = client.get(base).get_data(as_text=True)
    assert "Sign this review" in page and "still to write" not in page
    assert client.post(f"{base}/sign").status_code == 302
    db.session.refresh(review)
    assert review.tutor_signed_at is not None


def test_a_private_required_part_is_not_named_to_the_line_manager(
    app, make, tmp_path, monkeypatch
) -> None:
    item = make.apprenticeship()
    (tmp_path / f"provider-{item.provider_id}.yaml").write_text(
        "sections:\n"
        "  - {key: mine, title: Mine, writer: employer, required: true}\n"
        "  - {key: health, title: Health worries, writer: tutor, required: true,"
        " sensitive: true}\n"
    )
    monkeypatch.setitem(app.config, "REVIEW_SECTIONS_DIR", str(tmp_path))
    review = services.ensure_review(item.tutor, item, 3)
    services.save_section(item.line_manager, review, "mine", "Written.")
    with pytest.raises(services.SectionsMissing) as refused:
        services.sign_review(item.line_manager, review)
    assert "a private part, by the tutor" in refused.value.message
    assert "Health" not in refused.value.message and refused.value.field is None


def test_the_page_asks_for_your_section_before_you_sign(login, client, portfolio) -> None:
    def signed() -> bool:  # read afresh: a refused request rolls its transaction back
        db.session.refresh(review)
        return review.employer_signed_at is not None

    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    write_own_sections(review, portfolio.tutor, portfolio.apprentice)
    base = f"/apprenticeships/{portfolio.id}/reviews/3"
    box = {"section-employer_comments-text": " \r\n "}
    login(portfolio.line_manager)
    for saved in (False, True):  # never written; then saved with only whitespace
        if saved:
            assert client.post(f"{base}/sections/employer_comments", data=box).status_code == 302
        page = html.unescape(client.get(base).get_data(as_text=True))
        assert "Write The employer's comments first; then you can sign." in page
        assert "Sign this review" not in page
        # A page from before (or a hand-made request) is refused, saying what to write.
        response = client.post(f"{base}/sign")
        assert response.status_code == 409
        assert "Write “The employer's comments” before you sign" in html.unescape(
            response.get_data(as_text=True)
        )
        assert not signed()
    box["section-employer_comments-text"] = "Sam is ready for the Saturday service desk."
    assert client.post(f"{base}/sections/employer_comments", data=box).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Sign this review" in page and "then you can sign" not in page
    assert client.post(f"{base}/sign").status_code == 302
    assert "Signed." in client.get(base).get_data(as_text=True) and signed()


def test_the_api_refuses_a_signature_before_the_section(client, portfolio) -> None:
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    write_own_sections(review, portfolio.tutor, portfolio.line_manager)
    base = f"/api/v1/apprenticeships/{portfolio.id}/reviews/3"
    headers = api_headers(portfolio.apprentice)
    for text in (None, "   "):  # never written; then only spaces
        if text is not None:
            response = client.put(
                f"{base}/sections/apprentice_reflection", json={"text": text}, headers=headers
            )
            assert response.status_code == 200
        response = client.post(f"{base}/sign", headers=headers)
        assert response.status_code == 409
        error = response.json["error"]
        assert (error["code"], error["field"]) == (
            "review_section_missing",
            "apprentice_reflection",
        )
        assert "The apprentice's reflection" in error["message"]
        assert client.get(base, headers=headers).json["signed"].get("apprentice") is None
    response = client.put(
        f"{base}/sections/apprentice_reflection", json={"text": REFLECTION}, headers=headers
    )
    assert response.status_code == 200
    response = client.post(f"{base}/sign", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["signed"]["apprentice"] is not None


def test_the_frozen_review_keeps_every_section(login, client, portfolio) -> None:
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    _write_all(portfolio, review)
    services.add_action(
        portfolio.tutor,
        review,
        text="Ask Jo for a witness statement",
        owner=portfolio.apprentice,
        due=dt.date.today() + dt.timedelta(days=14),
    )
    sign_all(review)
    rows = {r.key: r for r in review.sections}
    assert list(rows) == [s.key for s in services.template_of(portfolio).sections]
    assert rows["apprentice_reflection"].text == REFLECTION
    assert rows["wellbeing"].text == WELLBEING and rows["wellbeing"].is_sensitive
    assert rows["progress"].text.startswith("0 of 116 units covered")
    assert rows["off_the_job"].text
    assert rows["targets"].text.startswith("Ask Jo for a witness statement")
    assert rows["next_review"].text.startswith("The 6-month review is due on")
    with pytest.raises(Conflict):
        services.save_section(portfolio.apprentice, review, "apprentice_reflection", "later")
    # The evidence item (the showcase, its exports and the assessor read it) leaves wellbeing out.
    item = db.session.get(Evidence, review.evidence_id)
    assert REFLECTION in item.description and "Reliable." in item.description
    assert WELLBEING not in item.description and "Wellbeing" not in item.description
    page = login(portfolio.tutor).get(f"/apprenticeships/{portfolio.id}/reviews/3")
    text = page.get_data(as_text=True)
    for words in (REFLECTION, "Reliable.", "Good knowledge units.", WELLBEING, "Ask Jo for"):
        assert words in text
    assert "Save your section" not in text and "Save changes" not in text


def test_wellbeing_is_for_the_apprentice_and_the_tutor_only(login, client, make, portfolio):
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    _write_all(portfolio, review)
    sign_all(review)
    base = f"/apprenticeships/{portfolio.id}/reviews/3"
    admin = make.user(Role.ADMIN, portfolio.employer)
    for user, sees in (
        (portfolio.apprentice, True),
        (portfolio.tutor, True),
        (portfolio.line_manager, False),
        (admin, False),
    ):
        page = login(user).get(base).get_data(as_text=True)
        assert (WELLBEING in page) is sees and ("Wellbeing and support" in page) is sees
        assert REFLECTION in page
        client.post("/sign-out")
        body = client.get(f"/api/v1{base}", headers=api_headers(user)).json
        keys = [s["key"] for s in body["sections"]]
        assert ("wellbeing" in keys) is sees and "apprentice_reflection" in keys
        assert (WELLBEING in str(body)) is sees
        listing = client.get(
            f"/api/v1/apprenticeships/{portfolio.id}/reviews", headers=api_headers(user)
        )
        assert (WELLBEING in listing.get_data(as_text=True)) is sees
    assessor = make.user(Role.ASSESSOR)
    assert client.get(f"/api/v1{base}", headers=api_headers(assessor)).status_code == 404
    # Never in an export: not even the apprentice's own subject-access export …
    archive = login(portfolio.apprentice).get(f"/apprenticeships/{portfolio.id}/export.zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        for name in opened.namelist():
            assert WELLBEING.encode() not in opened.read(name), name
    client.post("/sign-out")
    # … nor the cohort dashboard's CSV.
    csv = login(portfolio.tutor).get("/dashboard.csv")
    assert csv.status_code == 200 and WELLBEING not in csv.get_data(as_text=True)
    # The audit log names the section written, never its words.
    from showcase.audit.models import AuditEntry

    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "review.section_saved")
    ).all()
    assert {e.details["section"] for e in entries} >= {"wellbeing", "apprentice_reflection"}
    assert all(WELLBEING not in str(e.details) for e in entries)


def test_the_pages_write_sections_and_show_whose_they_are(login, client, portfolio) -> None:
    base = f"/apprenticeships/{portfolio.id}/reviews/3"
    page = login(portfolio.apprentice).get(base).get_data(as_text=True)
    assert "Before you sign, write your part" in page and "Wellbeing and support" in page
    response = client.post(
        f"{base}/sections/apprentice_reflection",
        data={"section-apprentice_reflection-text": REFLECTION},
    )
    assert response.status_code == 302 and response.location.endswith(
        "#section-apprentice_reflection"
    )
    page = client.get(base).get_data(as_text=True)
    assert REFLECTION in page and "Your section is saved." in page
    assert "Before you sign, write your part" not in page
    # Somebody else's section answers 403 with a message.
    response = client.post(
        f"{base}/sections/tutor_comments",
        data={"section-tutor_comments-text": "x"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 403
    assert "written by the tutor" in response.get_json()["error"]["message"]
    row = db.session.scalar(select(ReviewSection).where(ReviewSection.key == "tutor_comments"))
    assert row is None


def test_sections_through_the_api(client, portfolio) -> None:
    base = f"/api/v1/apprenticeships/{portfolio.id}/reviews/3"
    people = {
        "apprentice_reflection": portfolio.apprentice,
        "employer_comments": portfolio.line_manager,
        "tutor_comments": portfolio.tutor,
        "wellbeing": portfolio.tutor,
    }
    for key, user in people.items():
        response = client.put(
            f"{base}/sections/{key}", json={"text": f"{key} words"}, headers=api_headers(user)
        )
        assert response.status_code == 200, response.json
        written = {s["key"]: s for s in response.json["sections"]}
        assert written[key]["text"] == f"{key} words" and written[key]["can_write"]
    response = client.put(
        f"{base}/sections/employer_comments",
        json={"text": "x"},
        headers=api_headers(portfolio.tutor),
    )
    assert response.status_code == 403
    response = client.put(
        f"{base}/sections/progress", json={"text": "x"}, headers=api_headers(portfolio.tutor)
    )
    assert response.status_code == 404
    response = client.put(
        f"{base}/sections/tutor_comments",
        json={"text": "x" * (sections.MAX_TEXT + 1)},
        headers=api_headers(portfolio.tutor),
    )
    assert response.status_code == 422
    # Targets: text, owner (with their part) and due date.
    response = client.post(
        f"{base}/actions",
        json={
            "text": "Book a Saturday on the service desk",
            "owner_id": portfolio.line_manager_id,
            "due_date": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
        },
        headers=api_headers(portfolio.tutor),
    )
    assert response.status_code == 201
    (target,) = response.json["actions"]
    assert (target["owner"], target["owner_role"]) == (portfolio.line_manager.name, "employer")
    doc = client.get("/api/v1/openapi.json").json
    put = doc["paths"]["/api/v1/apprenticeships/{apprenticeship_id}/reviews/{month}/sections/{key}"]
    assert {"200", "403", "404", "409", "422"} <= set(put["put"]["responses"])


def test_the_outcome_choices_are_plain_words() -> None:
    labels = [choice.label for choice in FollowUpForm.outcome.kwargs["choices"]]
    assert labels == ["Done", "Under way", "Not done"]
