"""Standards: import semantics, the CLI, the printable page and the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import Role
from showcase.audit.models import AuditEntry
from showcase.errors import Conflict
from showcase.evidence.models import EvidenceKind
from showcase.standards import services
from showcase.standards.files import bundled_files
from showcase.standards.loaders import get_standard_or_404
from showcase.standards.models import ReferenceKind, Standard, StandardReference

ST0072 = next(p for p in bundled_files() if p.name.startswith("st0072"))


def ref_count(standard: Standard, kind: ReferenceKind) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(StandardReference)
        .where(StandardReference.standard_id == standard.id, StandardReference.kind == kind)
    )


def test_bundled_standards_are_imported_in_full(session) -> None:
    st0072 = get_standard_or_404("ST0072", "AP02")
    assert ref_count(st0072, ReferenceKind.UNIT) == 116
    assert ref_count(st0072, ReferenceKind.CRITERION) == 55
    tlii = get_standard_or_404("TLII4001")
    assert ref_count(tlii, ReferenceKind.UNIT) == 29
    assert ref_count(tlii, ReferenceKind.CRITERION) == 29


def test_reimport_keeps_reference_ids(session) -> None:
    doc, sha = services.read_file(ST0072)
    standard = get_standard_or_404("ST0072", "AP02")
    before = dict(
        db.session.execute(
            select(StandardReference.ref, StandardReference.id).where(
                StandardReference.standard_id == standard.id
            )
        ).all()
    )
    _same, outcome = services.import_standard(doc, sha)
    assert outcome == "unchanged"
    _same, outcome = services.import_standard(doc, "0" * 64)  # as if the file had changed
    assert outcome == "updated"
    after = dict(
        db.session.execute(
            select(StandardReference.ref, StandardReference.id).where(
                StandardReference.standard_id == standard.id
            )
        ).all()
    )
    assert after == before


def test_reimport_that_drops_a_reference_is_refused(session) -> None:
    doc, _sha = services.read_file(ST0072)
    # The database holds a ref the file does not have, as if the new file dropped it.
    ref = doc.units()[0].ref
    row = db.session.scalar(select(StandardReference).where(StandardReference.ref == ref))
    row.ref = ref + "-gone"
    db.session.flush()
    with pytest.raises(Conflict, match="drops references"):
        services.import_standard(doc, "1" * 64)


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


# -- re-importing the same version: words that anything points to stay as they are ----------

TAGGED_UNIT = "ST0072/knowing-your-customers/1.1"
FREE_UNIT = "ST0072/understanding-the-organisation/1.2"


def reworded(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = ST0072.read_text()
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / ST0072.name
    path.write_text(text)
    return path


TAGGED_FIX = ('"Who are my customers?"', '"Who are my customers, and how do I know?"')
FREE_FIX = (
    '"What is your organisation business type and purpose?"',
    '"What is your organisation’s business type and purpose?"',
)


def text_of(ref: str) -> str:
    return db.session.scalar(select(StandardReference.text).where(StandardReference.ref == ref))


def test_reimport_may_not_reword_a_tagged_unit(make, tmp_path: Path) -> None:
    from tests.factories import add_item, tag

    portfolio = make.apprenticeship()
    tag(add_item(portfolio, EvidenceKind.PHOTO), TAGGED_UNIT)
    before = text_of(TAGGED_UNIT)
    doc, sha = services.read_file(reworded(tmp_path, TAGGED_FIX, FREE_FIX))
    with pytest.raises(Conflict) as refused:
        services.import_standard(doc, sha)
    message = refused.value.message
    assert TAGGED_UNIT in message
    assert FREE_UNIT not in message  # only what is referenced is named
    assert "new version" in message
    assert text_of(TAGGED_UNIT) == before


def test_reimport_may_reword_what_nothing_references_and_says_so(make, tmp_path: Path) -> None:
    from tests.factories import add_item, tag

    portfolio = make.apprenticeship()
    tag(add_item(portfolio, EvidenceKind.PHOTO), TAGGED_UNIT)
    doc, sha = services.read_file(reworded(tmp_path, FREE_FIX))
    changes: list[str] = []
    _standard, outcome = services.import_standard(doc, sha, changes=changes)
    assert outcome == "updated"
    assert changes == [f"{FREE_UNIT}: wording changed (nothing references it)"]
    assert text_of(FREE_UNIT) == "What is your organisation’s business type and purpose?"
    audited = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "standard.reworded")
        .order_by(AuditEntry.id.desc())
    )
    assert audited.details["refs"] == [FREE_UNIT]


def test_reimport_refuses_rewording_a_judged_criterion(journey, tmp_path: Path) -> None:
    """A judgement points at a criterion's words as a tag points at a unit's."""
    from showcase.assessment.models import Judgement

    criterion = db.session.scalar(
        select(StandardReference).where(
            StandardReference.ref == "ST0072/interpersonal-skills/pass-1"
        )
    )
    assessment = _an_assessment(journey)
    db.session.add(Judgement(assessment=assessment, reference=criterion, met=True))
    db.session.flush()
    change = (
        "Demonstrate willingness and ability to engage",
        "Show willingness and ability to engage",
    )
    doc, sha = services.read_file(reworded(tmp_path, change))
    with pytest.raises(Conflict, match="interpersonal-skills/pass-1"):
        services.import_standard(doc, sha)


def _an_assessment(journey):
    from showcase.assessment import services as assessment
    from showcase.storage_ext import get_storage
    from showcase.submissions import services as submissions
    from tests.factories import prepare

    people = journey[2]
    draft = prepare(journey)
    submissions.lock_submission(people["apprentice"], draft, storage=get_storage(), written=[])
    return assessment.assign(people["ao_admin"], draft, people["assessor"])


def test_cli_reimport_prints_what_it_changed(app, session, tmp_path: Path) -> None:
    result = run(app, "standards", "import", str(reworded(tmp_path, FREE_FIX)))
    assert result.exit_code == 0, result.output
    assert "ST0072/AP02: updated" in result.output
    assert f"{FREE_UNIT}: wording changed (nothing references it)" in result.output


def test_cli_validate_list_export(app, session) -> None:
    result = run(app, "standards", "validate", str(ST0072))
    assert result.exit_code == 0, result.output
    assert "ST0072/AP02, 116 units, 55 criteria" in result.output
    assert "ST0072/AP02" in run(app, "standards", "list").output
    exported = run(app, "standards", "export", "ST0072", "--version", "AP02").output
    assert '"code": "ST0072"' in exported


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("weight_percent: 65", "weight_percent: 55", 1), "sum to 90%"),
        (lambda t: t + "\n  bad: [unclosed\n", "st0072-ap02.yaml"),
        (
            lambda t: t.replace("distinction_threshold: 0.70", "distinction_threshold: 7", 1),
            "0 to 1",
        ),
    ],
)
def test_cli_malformed_file_names_the_problem_and_changes_nothing(
    app, session, tmp_path: Path, change, message: str
) -> None:
    broken = tmp_path / ST0072.name
    broken.write_text(change(ST0072.read_text()))
    before = db.session.scalar(select(func.count()).select_from(StandardReference))
    result = run(app, "standards", "import", str(broken))
    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was imported" in result.output
    assert db.session.scalar(select(func.count()).select_from(StandardReference)) == before


def test_third_standard_is_a_data_file(app, session, tmp_path: Path) -> None:
    path = tmp_path / "zz0001.yaml"
    path.write_text(ST0072.read_text().replace("code: ST0072", "code: ZZ0001", 1))
    result = run(app, "standards", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "ZZ0001/AP02: created" in result.output
    assert ref_count(get_standard_or_404("ZZ0001"), ReferenceKind.UNIT) == 116


def test_standard_page_shows_structure_and_gaps(login, make) -> None:
    client = login(make.user(Role.APPRENTICE))
    page = client.get("/standards/ST0072/AP02").get_data(as_text=True)
    assert "Knowing your customers" in page
    assert "Apprentice Showcase" in page and "65%" in page
    assert "uncertain" in page and "badge-gap" in page
    assert "recovered" in page
    tlii = client.get("/standards/TLII4001/release-unstated").get_data(as_text=True)
    assert "Coordinate quality customer service" in tlii
    assert "Competent / Not yet competent" in tlii


def test_standard_page_shows_weighted_average_settings_notes_and_readings(login, make) -> None:
    client = login(make.user(Role.APPRENTICE))
    page = client.get("/standards/ST0072/AP02").get_data(as_text=True)
    assert "pass = 1 point, distinction = 2 points, a distinction from a score of 1.5" in page
    # Computed from the data: 65 x 1 + 20 x 2 + 15 x 2 = 1.35 < 1.5.
    assert "the highest score the data allows is 1.35, below the cut of 1.5" in page
    assert "unreachable" in page
    # Per-item notes (OCR repairs) are shown, not only uncertain readings.
    assert "the OCR reads &#34;customer handing&#34;" in page or "customer handing" in page
    assert "does not judge it" in page
    tlii = client.get("/standards/TLII4001/release-unstated").get_data(as_text=True)
    assert "outcome labels" in tlii and "outside the unit" in tlii


def test_standard_api(client, make) -> None:
    from showcase.accounts import services as accounts

    _t, plain = accounts.create_api_token(make.user(Role.TUTOR), name="t")
    headers = {"Authorization": f"Bearer {plain}"}
    listed = client.get("/api/v1/standards", headers=headers).get_json()["items"]
    assert {(s["code"], s["units"], s["criteria"]) for s in listed} >= {
        ("ST0072", 116, 55),
        ("TLII4001", 29, 29),
    }
    body = client.get("/api/v1/standards/ST0072/AP02", headers=headers).get_json()
    assert body["document"]["code"] == "ST0072"
    assert any(g["kind"] == "gap" for g in body["gaps"])
    assert client.get("/api/v1/standards/NOPE/1", headers=headers).status_code == 404
