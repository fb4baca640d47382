"""Off-the-job training: the log, the tutor's approval, the plan at enrolment and by admins,
prior learning, the monthly check, the employer's statement, the to-do items, CSV and API."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Role
from showcase.audit.models import AuditEntry
from showcase.errors import Conflict, Forbidden, ValidationFailed
from showcase.evidence.models import EvidenceKind
from showcase.home.todo import todo_for
from showcase.portfolios import services as portfolios
from showcase.standards.sufficiency import add_months
from showcase.training import services
from showcase.training.models import EntryStatus, TrainingEntry
from tests.factories import add_item, api_headers, refs

TODAY = dt.date.today()


def actions(name: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == name)))


def details(day: dt.date, minutes: int = 120, kind: str = "taught_session", **kw):
    return services.EntryDetails(day, minutes, kind, kw.pop("text", "A workshop."), **kw)


@pytest.fixture
def portfolio(make):
    item = make.apprenticeship(start_date=add_months(TODAY, -4))
    item.planned_end_date = add_months(item.start_date, 12)
    item.planned_otj_hours = 240
    db.session.flush()
    return item


def test_log_return_resubmit_approve_through_the_pages(login, client, portfolio) -> None:
    first = refs(portfolio)[0]
    login(portfolio.apprentice)
    page = client.get(f"/apprenticeships/{portfolio.id}/training/new").get_data(as_text=True)
    assert "Log off-the-job training" in page and 'name="unit_refs"' in page
    data = {
        "activity_date": (TODAY - dt.timedelta(days=3)).isoformat(),
        "hours": "2",
        "minutes": "15",
        "kind": "shadowing",
        "description": "Shadowed the team leader on complaint calls.",
        "unit_refs": [first],
        "evidence_id": "0",
    }
    response = client.post(f"/apprenticeships/{portfolio.id}/training/new", data=data)
    assert response.status_code == 302
    entry = db.session.scalar(select(TrainingEntry))
    assert entry.minutes == 135 and entry.unit_refs == [first]
    assert entry.status is EntryStatus.SUBMITTED
    # A future date is refused beside its field.
    bad = {**data, "activity_date": (TODAY + dt.timedelta(days=2)).isoformat()}
    page = client.post(f"/apprenticeships/{portfolio.id}/training/new", data=bad)
    assert page.status_code == 200
    assert "Log activities once they have happened." in page.get_data(as_text=True)
    client.post("/sign-out")

    login(portfolio.tutor)
    queue = client.get("/training/queue").get_data(as_text=True)
    assert "Shadowed the team leader" in queue and portfolio.apprentice.name in queue
    # Returning needs a comment: without one nothing changes.
    url = f"/training/entries/{entry.id}/review"
    client.post(url, data={f"entry-{entry.id}-comment": "", "decision": "return"})
    db.session.refresh(entry)
    assert entry.status is EntryStatus.SUBMITTED
    client.post(url, data={f"entry-{entry.id}-comment": "Which units?", "decision": "return"})
    db.session.refresh(entry)
    assert entry.status is EntryStatus.RETURNED and entry.review_comment == "Which units?"
    client.post("/sign-out")

    login(portfolio.apprentice)
    todo = todo_for(portfolio.apprentice)
    assert any(i.kind == "training_returned" and "Which units?" in i.detail for i in todo)
    edit = client.get(f"/training/entries/{entry.id}/edit").get_data(as_text=True)
    assert "Which units?" in edit and "Save and send back" in edit
    response = client.post(
        f"/training/entries/{entry.id}/edit", data={**data, "hours": "3", "minutes": "0"}
    )
    assert response.status_code == 302
    db.session.refresh(entry)
    assert entry.status is EntryStatus.SUBMITTED and entry.minutes == 180
    client.post("/sign-out")

    login(portfolio.tutor)
    assert any(i.kind == "training_waiting" for i in todo_for(portfolio.tutor))
    client.post(url, data={f"entry-{entry.id}-comment": "", "decision": "approve"})
    db.session.refresh(entry)
    assert entry.status is EntryStatus.APPROVED
    client.post("/sign-out")

    # Approved entries are frozen.
    login(portfolio.apprentice)
    response = client.post(
        f"/training/entries/{entry.id}/edit", data=data, headers={"Accept": "application/json"}
    )
    assert response.status_code == 409
    page = client.get(f"/apprenticeships/{portfolio.id}/training").get_data(as_text=True)
    assert "3.00 h" in page and "Approved" in page
    assert [len(actions(a)) for a in ("training.entry_logged", "training.entry_returned")] == [1, 1]
    assert len(actions("training.entry_resubmitted")) == 1
    assert len(actions("training.entry_approved")) == 1


def test_only_the_right_people_act(make, portfolio, login, client) -> None:
    day = TODAY - dt.timedelta(days=1)
    with pytest.raises(Forbidden):
        services.log_entry(portfolio.tutor, portfolio, details(day))
    entry = services.log_entry(portfolio.apprentice, portfolio, details(day))
    with pytest.raises(Forbidden):
        services.approve_entry(portfolio.line_manager, entry)
    with pytest.raises(Forbidden):
        services.approve_entry(portfolio.apprentice, entry)
    services.approve_entry(portfolio.tutor, entry)
    with pytest.raises(Conflict):
        services.return_entry(portfolio.tutor, entry, "too late")
    stranger = make.user(Role.APPRENTICE)
    login(stranger)
    assert client.get(f"/apprenticeships/{portfolio.id}/training").status_code == 404
    assert client.get(f"/training/entries/{entry.id}/edit").status_code == 404
    assert client.get(f"/apprenticeships/{portfolio.id}/training.csv").status_code == 404


def test_entries_are_checked(make, portfolio) -> None:
    day = TODAY - dt.timedelta(days=1)
    with pytest.raises(ValidationFailed, match="from 1 minute to 12 hours"):
        services.log_entry(portfolio.apprentice, portfolio, details(day, minutes=0))
    with pytest.raises(ValidationFailed, match="kind of activity"):
        services.log_entry(portfolio.apprentice, portfolio, details(day, kind="napping"))
    with pytest.raises(ValidationFailed, match="Not a unit"):
        services.log_entry(portfolio.apprentice, portfolio, details(day, unit_refs=("X/y/1",)))
    with pytest.raises(ValidationFailed, match="started on"):
        services.log_entry(
            portfolio.apprentice, portfolio, details(portfolio.start_date - dt.timedelta(days=1))
        )
    other = make.apprenticeship()
    theirs = add_item(other, EvidenceKind.REFLECTIVE_ACCOUNT)
    with pytest.raises(ValidationFailed, match="your own portfolio"):
        services.log_entry(portfolio.apprentice, portfolio, details(day, evidence_id=theirs.id))
    mine = add_item(portfolio, EvidenceKind.REFLECTIVE_ACCOUNT)
    entry = services.log_entry(portfolio.apprentice, portfolio, details(day, evidence_id=mine.id))
    assert entry.evidence_id == mine.id


def test_hours_status_counts_approved_entries_and_flags_months(make) -> None:
    start = dt.date(2025, 9, 1)
    item = make.apprenticeship(start_date=start)
    item.planned_end_date = dt.date(2026, 9, 1)  # 12 months
    item.planned_otj_hours = 240  # 20 hours a month
    db.session.flush()
    today = dt.date(2026, 1, 16)
    for day, minutes, approve in (
        (dt.date(2025, 9, 10), 600, True),
        (dt.date(2025, 9, 11), 600, True),
        (dt.date(2025, 10, 5), 720, True),
        (dt.date(2025, 12, 5), 300, False),  # waiting: counts for nothing yet
    ):
        entry = services.log_entry(item.apprentice, item, details(day, minutes), today)
        if approve:
            services.approve_entry(item.tutor, entry)
    status = services.hours_status(item, today)
    assert status.approved_minutes == 1920 and str(status.approved_hours) == "32.00"
    # 4 months and 15 of January's 31 days: 20 * (4 + 15/31) hours.
    assert status.expected_minutes == 240 * 60 * (4 * 31 + 15) // (12 * 31)
    assert status.pace == "behind"
    assert status.months_without_activity == ["2025-11", "2025-12"]
    assert status.rule.year.key == "2025-26"
    # Recognised prior learning reduces the planned hours, with its reason.
    admin = make.user(Role.ADMIN, item.provider)
    services.record_prior_learning(admin, item, hours=40, reason="Level 2 certificate")
    status = services.hours_status(item, today)
    assert status.planned_hours == 200 and status.prior_learning_hours == 40
    assert len(actions("training.prior_learning_recorded")) == 1
    with pytest.raises(ValidationFailed, match="from 1 to 200"):
        services.record_prior_learning(admin, item, hours=201, reason="too much")


def test_many_apprenticeships_in_a_fixed_number_of_queries(make, count_queries) -> None:
    ids = []
    for n in range(6):
        item = make.apprenticeship(start_date=add_months(TODAY, -5))
        item.planned_end_date, item.planned_otj_hours = add_months(item.start_date, 12), 200
        entry = services.log_entry(item.apprentice, item, details(TODAY - dt.timedelta(days=n)))
        services.approve_entry(item.tutor, entry)
        ids.append(item.id)
    db.session.flush()
    counts = []
    for chosen in (ids[:1], ids):
        with count_queries() as statements:
            result = services.hours_status_for(chosen, TODAY)
        assert set(result) == set(chosen)
        counts.append(len(statements))
    assert counts[0] == counts[1] == 2


def test_tlii4001_has_no_rule_and_no_plan(make) -> None:
    item = make.apprenticeship(code="TLII4001", start_date=add_months(TODAY, -6))
    entry = services.log_entry(item.apprentice, item, details(TODAY - dt.timedelta(days=2)))
    services.approve_entry(item.tutor, entry)
    status = services.hours_status(item, TODAY)
    assert status.pace == "no_plan" and status.months_without_activity == []
    assert not status.rule.applies and status.approved_minutes == 120


def test_enrolment_refuses_a_plan_shorter_than_8_months(make, login, client) -> None:
    employer_admin_org = make.organisation()
    apprentice = make.user(Role.APPRENTICE, employer_admin_org)
    manager = make.user(Role.EMPLOYER_CONTACT, employer_admin_org)
    tutor = make.user(Role.TUTOR)
    admin = make.user(Role.ADMIN, employer_admin_org)
    from showcase.standards.loaders import get_standard_or_404

    standard = get_standard_or_404("ST0072")
    start = dt.date(2025, 9, 1)
    with pytest.raises(ValidationFailed, match="at least 8 months") as refused:
        portfolios.create_apprenticeship(
            admin,
            apprentice=apprentice,
            standard=standard,
            start_date=start,
            line_manager=manager,
            tutor=tutor,
            planned_end_date=dt.date(2026, 4, 30),
            planned_otj_hours=250,
        )
    assert refused.value.field == "planned_end_date"
    login(admin)
    form = {
        "apprentice_id": apprentice.id,
        "standard_id": standard.id,
        "start_date": start.isoformat(),
        "line_manager_id": manager.id,
        "tutor_id": tutor.id,
        "planned_end_date": "2026-04-30",
        "planned_otj_hours": "250",
    }
    page = client.post("/admin/apprenticeships/new", data=form).get_data(as_text=True)
    assert "at least 8 months" in page and "1 May 2026" in page
    response = client.post(
        "/admin/apprenticeships/new", data={**form, "planned_end_date": "2026-05-01"}
    )
    assert response.status_code == 302
    created = portfolios.list_apprenticeships(admin)[0]
    assert created.planned_end_date == dt.date(2026, 5, 1) and created.planned_otj_hours == 250


def test_admins_change_the_plan_audited(make, portfolio, login, client) -> None:
    admin = make.user(Role.ADMIN, portfolio.provider)
    login(admin)
    url = f"/admin/apprenticeships/{portfolio.id}/training-plan"
    assert "Off-the-job training plan" in client.get(url).get_data(as_text=True)
    end = add_months(portfolio.start_date, 15)
    response = client.post(
        url, data={"planned_end_date": end.isoformat(), "planned_otj_hours": "300"}
    )
    assert response.status_code == 302
    db.session.refresh(portfolio)
    assert (portfolio.planned_end_date, portfolio.planned_otj_hours) == (end, 300)
    [entry] = actions("training.plan_changed")
    assert entry.details["planned_otj_hours"] == {"from": 240, "to": 300}
    too_short = add_months(portfolio.start_date, 5).isoformat()
    page = client.post(url, data={"planned_end_date": too_short, "planned_otj_hours": "300"})
    assert "at least" in page.get_data(as_text=True)
    with pytest.raises(ValidationFailed, match="more than 10 years"):
        services.set_plan(
            admin,
            portfolio,
            planned_end_date=add_months(portfolio.start_date, 121),
            planned_otj_hours=300,
        )
    client.post("/sign-out")
    login(portfolio.tutor)
    assert client.get(url).status_code == 403


def test_enrolment_through_the_api_checks_the_plan(make, client) -> None:
    org = make.organisation()
    admin = make.user(Role.ADMIN, org)
    body = {
        "apprentice_id": make.user(Role.APPRENTICE, org).id,
        "standard": "ST0072/AP02",
        "start_date": "2025-10-15",
        "line_manager_id": make.user(Role.EMPLOYER_CONTACT, org).id,
        "tutor_id": make.user(Role.TUTOR).id,
        "planned_end_date": "2026-06-14",
        "planned_otj_hours": 250,
    }
    refused = client.post("/api/v1/apprenticeships", json=body, headers=api_headers(admin))
    assert refused.status_code == 422 and refused.json["error"]["field"] == "planned_end_date"
    body["planned_end_date"] = "2026-06-15"
    created = client.post("/api/v1/apprenticeships", json=body, headers=api_headers(admin))
    assert created.status_code == 201, created.json
    assert created.json["planned_otj_hours"] == 250


def test_line_manager_signs_the_under_delivery_statement(make, login, client) -> None:
    start = add_months(TODAY, -13)
    item = make.apprenticeship(start_date=start)
    item.planned_end_date, item.planned_otj_hours = add_months(start, 12), 20
    db.session.flush()
    entry = services.log_entry(item.apprentice, item, details(start + dt.timedelta(days=5), 600))
    services.approve_entry(item.tutor, entry)
    todo = todo_for(item.line_manager)
    assert [i.kind for i in todo if i.kind == "training_statement"] == ["training_statement"]
    with pytest.raises(Forbidden):
        services.sign_statement(item.tutor, item, "no")
    login(item.line_manager)
    page = client.get(f"/apprenticeships/{item.id}/training").get_data(as_text=True)
    assert "Sign the statement" in page
    url = f"/apprenticeships/{item.id}/training/statement"
    client.post(url, data={"reason": "Finished early.", "confirm": ""})  # not confirmed
    assert services.latest_statements([item.id]) == {}
    client.post(url, data={"reason": "Finished early: prior experience.", "confirm": "y"})
    statement = services.latest_statements([item.id])[item.id]
    assert statement.delivered_minutes == 600 and statement.planned_minutes == 1200
    assert not [i for i in todo_for(item.line_manager) if i.kind == "training_statement"]
    assert len(actions("training.statement_signed")) == 1
    response = client.post(
        url,
        data={"reason": "again", "confirm": "y"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409


def test_csv_exports_are_safe_for_spreadsheets(make, portfolio, login, client) -> None:
    day = TODAY - dt.timedelta(days=1)
    services.log_entry(
        portfolio.apprentice, portfolio, details(day, text='=HYPERLINK("http://x","y")')
    )
    other = make.apprenticeship()  # another tutor's learner
    services.log_entry(other.apprentice, other, details(day, text="Not yours"))
    login(portfolio.tutor)
    body = client.get(f"/apprenticeships/{portfolio.id}/training.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["apprenticeship_id", "apprentice", "standard"]
    assert rows[1][rows[0].index("description")] == '\'=HYPERLINK("http://x","y")'
    cohort = client.get("/training/cohort.csv").get_data(as_text=True)
    assert "HYPERLINK" in cohort and "Not yours" not in cohort


def test_the_api(make, portfolio, client) -> None:
    apprentice, tutor = api_headers(portfolio.apprentice), api_headers(portfolio.tutor)
    base = f"/api/v1/apprenticeships/{portfolio.id}/training"
    body = {
        "activity_date": (TODAY - dt.timedelta(days=2)).isoformat(),
        "minutes": 90,
        "kind": "self_study",
        "description": "Read the complaints policy.",
        "unit_refs": [refs(portfolio)[1]],
    }
    created = client.post(f"{base}/entries", json=body, headers=apprentice)
    assert created.status_code == 201, created.json
    entry_id = created.json["id"]
    assert client.post(f"{base}/entries", json=body, headers=tutor).status_code == 403
    refused = client.post(f"/api/v1/training/entries/{entry_id}/return", json={}, headers=tutor)
    assert refused.status_code == 422
    returned = client.post(
        f"/api/v1/training/entries/{entry_id}/return", json={"comment": "More"}, headers=tutor
    )
    assert returned.json["status"] == "returned"
    again = client.put(f"/api/v1/training/entries/{entry_id}", json=body, headers=apprentice)
    assert again.json["status"] == "submitted"
    approved = client.post(f"/api/v1/training/entries/{entry_id}/approve", json={}, headers=tutor)
    assert approved.json["status"] == "approved"
    frozen = client.put(f"/api/v1/training/entries/{entry_id}", json=body, headers=apprentice)
    assert frozen.status_code == 409
    listed = client.get(f"{base}/entries", headers=tutor).json["items"]
    assert [e["id"] for e in listed] == [entry_id]
    status = client.get(f"{base}/status", headers=apprentice).json
    assert status["approved_hours"] in ("1.50", 1.5) and status["pace"] in ("on_track", "behind")
    assert status["rule"]["jurisdiction"] == "England"
    stranger = api_headers(make.user(Role.TUTOR))
    assert client.get(f"{base}/status", headers=stranger).status_code == 404
    doc = client.get("/api/v1/openapi.json").json
    assert {"200", "401", "404"} <= set(
        doc["paths"]["/api/v1/apprenticeships/{apprenticeship_id}/training/status"]["get"][
            "responses"
        ]
    )
    assert "409" in doc["paths"]["/api/v1/training/entries/{entry_id}/approve"]["post"]["responses"]


def test_the_log_page_shows_the_rules_honestly(make, portfolio, login, client) -> None:
    login(portfolio.apprentice)
    page = client.get(f"/apprenticeships/{portfolio.id}/training").get_data(as_text=True)
    assert "Minimum off-the-job hours for ST0072" in page and "not recorded" in page
    assert "Log an activity" in page
    australian = make.apprenticeship(code="TLII4001")
    client.post("/sign-out")
    login(australian.apprentice)
    page = client.get(f"/apprenticeships/{australian.id}/training").get_data(as_text=True)
    assert "No off-the-job training funding rule applies" in page and "No plan" in page
