"""Assessment organisations' own criteria: imported by that organisation's administrator,
versioned, shown apart from the plan and labelled as theirs, refused where they would change the
plan, and graded with by that organisation's assessments only."""

from __future__ import annotations

import io

import pytest
import yaml
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import OrganisationKind, Role
from showcase.assessment import services as assessment
from showcase.audit.models import AuditEntry
from showcase.errors import Forbidden
from showcase.standards import services
from showcase.standards.demo import EXAMPLE
from showcase.standards.files import StandardFileError, bundled_files
from showcase.standards.loaders import get_standard_or_404
from showcase.standards.models import StandardReference, StandardSupplement, SupplementCriterion
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from tests.factories import prepare

TEXT = EXAMPLE.read_text(encoding="utf-8")
PAGE = "/standards/ST0072/AP02/supplements"


@pytest.fixture
def office(make):
    return make.user(
        Role.ADMIN, make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION, "Northstar EPA")
    )


def st0072():
    return get_standard_or_404("ST0072", "AP02")


def test_the_office_imports_a_version_through_the_page(login, office) -> None:
    client = login(office)
    page = client.get(PAGE).get_data(as_text=True)
    assert "cannot change anything the plan states" in page
    response = client.post(
        PAGE,
        data={"file": (io.BytesIO(TEXT.encode()), "example.yaml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Imported version 1 of your criteria for ST0072/AP02." in page
    assert "Illustrative example — not a real EPAO" in page
    # The same file again is not a new version.
    page = client.post(PAGE, data={"text": TEXT}, follow_redirects=True).get_data(as_text=True)
    assert "This file is the same as your version 1; nothing changed." in page
    # A changed file is version 2; version 1 stays.
    changed = TEXT.replace("(example)", "(example, revised)")
    page = client.post(PAGE, data={"text": changed}, follow_redirects=True).get_data(as_text=True)
    assert "Imported version 2" in page
    versions = db.session.scalars(
        select(StandardSupplement.version).where(
            StandardSupplement.organisation_id == office.organisation_id
        )
    ).all()
    assert sorted(versions) == [1, 2]
    # Each version has its own criteria rows, so judgements on one never move to the other.
    linked = db.session.scalar(select(func.count()).select_from(SupplementCriterion))
    assert linked == 40
    audited = db.session.scalars(
        select(AuditEntry.details).where(AuditEntry.action == "standard.supplement_imported")
    ).all()
    assert [d["version"] for d in audited] == [1, 2]


def test_a_refused_file_lists_every_problem_and_imports_nothing(login, office) -> None:
    data = yaml.safe_load(TEXT)
    observation = {
        "key": "interpersonal-skills",
        "distinction_criteria": [{"key": "x", "text": "More."}],
    }
    data["modules"] = [*data["modules"][:2], observation]
    data["overall_rule"] = "weighted_average"
    client = login(office)
    page = client.post(PAGE, data={"text": yaml.safe_dump(data)}).get_data(as_text=True)
    assert 'role="alert"' in page
    assert "The file was not imported" in page
    assert "overall_rule" in page and "cannot change what the plan states" in page
    assert db.session.scalar(select(func.count()).select_from(StandardSupplement)) == 0

    del data["overall_rule"]
    page = client.post(PAGE, data={"text": yaml.safe_dump(data)}).get_data(as_text=True)
    assert "the plan states Interpersonal skills&#39;s distinction criteria" in page
    assert "not given: " in page  # the showcase modules left out are named
    assert db.session.scalar(select(func.count()).select_from(StandardSupplement)) == 0


def test_nothing_to_import_is_said_at_the_field(login, office) -> None:
    page = login(office).post(PAGE, data={"text": "  "}).get_data(as_text=True)
    assert "Choose a supplement file, or paste its text." in page
    assert 'aria-invalid="true"' in page


@pytest.mark.parametrize(
    "role", [Role.ASSESSOR, Role.QUALITY_ASSURER, Role.APPRENTICE, Role.TUTOR, Role.ADMIN]
)
def test_only_an_assessment_organisations_admin_may(login, make, role: Role) -> None:
    kind = {
        Role.ASSESSOR: OrganisationKind.ASSESSMENT_ORGANISATION,
        Role.QUALITY_ASSURER: OrganisationKind.ASSESSMENT_ORGANISATION,
        Role.APPRENTICE: OrganisationKind.EMPLOYER,
        Role.TUTOR: OrganisationKind.TRAINING_PROVIDER,
        Role.ADMIN: OrganisationKind.EMPLOYER,  # an employer's admin is not an EPAO's
    }[role]
    user = make.user(role, make.organisation(kind))
    client = login(user)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"text": TEXT}).status_code == 403
    with pytest.raises(Forbidden):
        services.import_supplement(user, st0072(), TEXT, "x.yaml")


def test_the_standard_page_shows_it_apart_and_as_theirs(login, make, office) -> None:
    services.import_supplement(office, st0072(), TEXT, "example.yaml")
    page = login(make.user(Role.APPRENTICE)).get("/standards/ST0072/AP02").get_data(as_text=True)
    section = page.index('id="supplements"')
    assert "Criteria of Northstar EPA, not of the plan" in page[section:]
    assert "Illustrative example — not a real EPAO&#39;s criteria" in page[section:]
    criterion = "Explains how they de-escalated a difficult situation"
    # Only in the organisation's section, never among the plan's own modules.
    assert page.count(criterion) == 1
    assert page.index(criterion) > section
    # The plan's own gap note still stands: the plan has no such criteria.
    assert "the distinction-criteria cells of all ten showcase modules are missing" in page


def test_the_plan_can_be_reimported_beside_a_supplement(office) -> None:
    services.import_supplement(office, st0072(), TEXT, "example.yaml")
    doc, _sha = services.read_file(next(p for p in bundled_files() if "st0072" in p.name))
    _standard, outcome = services.import_standard(doc, "2" * 64)
    assert outcome == "updated"  # the supplement's rows are not "dropped references"


def locked_assessment(journey, assessor_key: str = "assessor"):
    _item, _ao, people, _items = journey
    draft = prepare(journey)
    submissions.lock_submission(people["apprentice"], draft, storage=get_storage(), written=[])
    return assessment.assign(people["ao_admin"], draft, people[assessor_key])


def test_that_organisations_assessments_grade_with_it(journey) -> None:
    _item, ao, people, _items = journey
    row, _new = services.import_supplement(people["ao_admin"], st0072(), TEXT, "example.yaml")
    case = locked_assessment(journey)
    doc = services.grading_doc(st0072(), ao.id)
    assert doc.supplement is not None and doc.supplement.organisation == "EPA Ltd"
    for criterion in doc.criteria():
        assessment.record_judgement(
            people["assessor"], case, ref=criterion.ref, met=True, comment=""
        )
    result = assessment.compute(case)
    assert result.overall == "distinction"
    assert result.supplement is not None and "criteria of EPA Ltd, not of the plan" in (
        result.supplement
    )
    assert "EPA Ltd" in result.explanation[0]

    # A newer version does not orphan the judgements already made: this assessment keeps
    # grading with the version its judgements point at.
    services.import_supplement(
        people["ao_admin"], st0072(), TEXT.replace("(example)", "(v2)"), "v2.yaml"
    )
    again = assessment.compute(case)
    assert again.overall == "distinction"
    assert f"(supplement version {row.version})" in again.explanation[0]


def test_other_organisations_do_not_grade_with_it(journey, make) -> None:
    _item, ao, people, _items = journey
    other = make.user(
        Role.ADMIN, make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION, "Elsewhere")
    )
    services.import_supplement(other, st0072(), TEXT, "example.yaml")
    assert services.grading_doc(st0072(), ao.id).supplement is None
    case = locked_assessment(journey)
    plan = services.doc_for(st0072())
    for criterion in plan.criteria():
        assessment.record_judgement(
            people["assessor"], case, ref=criterion.ref, met=True, comment=""
        )
    result = assessment.compute(case)
    assert result.grade == "pass_distinction_undetermined"
    assert result.supplement is None
    assert "Elsewhere" not in " ".join(result.explanation)


def test_supplement_rows_are_criteria_apart_from_the_plans(office) -> None:
    row, _new = services.import_supplement(office, st0072(), TEXT, "example.yaml")
    refs = db.session.scalars(
        select(StandardReference.ref)
        .join(SupplementCriterion, SupplementCriterion.reference_id == StandardReference.id)
        .where(SupplementCriterion.supplement_id == row.id)
    ).all()
    assert len(refs) == 20
    prefix = f"o{office.organisation_id}v1-"
    assert all(ref.split("/")[-1].startswith(prefix) for ref in refs)


def test_a_file_for_another_version_is_refused(office) -> None:
    with pytest.raises(StandardFileError, match="not ST0072/AP02"):
        services.import_supplement(
            office, st0072(), TEXT.replace("standard: ST0072/AP02", "standard: ST0072/AP03"), "x"
        )


def test_another_organisations_criteria_cannot_be_judged(journey, make) -> None:
    """A criterion row of someone else's supplement exists, but is not this assessment's to
    judge: accepting it would leave the grade uncomputable."""
    from showcase.errors import ValidationFailed

    _item, _ao, people, _items = journey
    other = make.user(
        Role.ADMIN, make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION, "Elsewhere")
    )
    row, _new = services.import_supplement(other, st0072(), TEXT, "example.yaml")
    foreign = db.session.scalar(
        select(StandardReference.ref)
        .join(SupplementCriterion, SupplementCriterion.reference_id == StandardReference.id)
        .where(SupplementCriterion.supplement_id == row.id)
        .limit(1)
    )
    case = locked_assessment(journey)
    with pytest.raises(ValidationFailed, match="is not a criterion of this standard"):
        assessment.record_judgement(people["assessor"], case, ref=foreign, met=True, comment="")
    assert assessment.compute(case).supplement is None
