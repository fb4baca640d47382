"""What the database must guarantee when two people change one portfolio at the same moment.

PostgreSQL only, with real commits on separate connections: the rolled-back harness cannot show
what one committed transaction does to another. Each test runs two writers in threads. The
first flushes its change and holds its transaction open until the second is waiting for one of
its locks (seen in ``pg_locks``) or has finished, so however loaded the machine, the second
reaches its checks while the first's change is still uncommitted. Under READ COMMITTED the
second's checks would run on rows read before the first committed, so the services take row
locks before checking and re-read what they check (``db.lock_for_change``); without them every
assertion below fails (each was seen failing before the lock was added).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import User
from showcase.coverage.cli import rollup_state
from showcase.coverage.rollup import rebuild
from showcase.errors import Conflict, SubmissionLocked, ValidationFailed
from showcase.evidence import services as evidence
from showcase.evidence.models import Evidence, EvidenceKind, EvidenceTag, TagStatus
from showcase.portfolios.models import Apprenticeship
from showcase.reviews import services as reviews
from showcase.reviews.models import ActionFollowUp, ActionOutcome, ProgressReview
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from showcase.submissions.models import Submission, SubmissionItem
from tests.conftest import built_app
from tests.factories import (
    Factory,
    add_item,
    build_journey,
    prepare,
    refs,
    sign_all,
    tag,
    write_own_sections,
)
from tests.races import race


@pytest.fixture(scope="module")
def committing_app(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    if database_kind != "postgresql":
        pytest.skip("SQLite has one writer at a time; these races are PostgreSQL's")
    with built_app(database_kind, tmp_path_factory.mktemp("concurrency"), "_race") as app:
        yield app


@pytest.fixture(scope="module")
def factory() -> Factory:
    """One factory for the module: its numbering keeps emails unique across committed tests."""
    return Factory()


def test_two_tags_on_one_unit_both_count(committing_app: Flask, factory: Factory) -> None:
    with committing_app.app_context():
        portfolio = factory.apprenticeship()
        items = [
            add_item(portfolio, EvidenceKind.REFLECTIVE_ACCOUNT, "First").id,
            add_item(portfolio, EvidenceKind.WITNESS_STATEMENT, "Second").id,
        ]
        unit = refs(portfolio)[0]
        db.session.commit()

    errors = race(
        committing_app,
        lambda: tag(db.session.get(Evidence, items[0]), unit),
        lambda: tag(db.session.get(Evidence, items[1]), unit),
    )
    assert not errors, errors
    with committing_app.app_context():
        maintained = rollup_state()
        counts = [v[1] for k, v in maintained.items() if k[0] == portfolio.id]
        assert counts == [2], f"both tags count on {unit}: {maintained}"
        rebuild(db.session)
        assert rollup_state() == maintained
        db.session.rollback()


def test_last_two_signatures_at_once_freeze_the_review_once(
    committing_app: Flask, factory: Factory
) -> None:
    with committing_app.app_context():
        portfolio = factory.apprenticeship()
        review = reviews.ensure_review(portfolio.tutor, portfolio, 3)
        write_own_sections(review)
        reviews.sign_review(portfolio.tutor, review)
        ids = (review.id, portfolio.line_manager_id, portfolio.apprentice_id, portfolio.id)
        db.session.commit()

    def sign(user_id: int) -> Callable[[], None]:
        return lambda: reviews.sign_review(
            db.session.get(User, user_id), db.session.get(ProgressReview, ids[0])
        )

    errors = race(committing_app, sign(ids[1]), sign(ids[2]))
    assert not errors, errors
    with committing_app.app_context():
        signed = db.session.get(ProgressReview, ids[0])
        assert signed.is_frozen and signed.evidence_id is not None
        made = db.session.scalar(
            select(func.count())
            .select_from(Evidence)
            .where(
                Evidence.apprenticeship_id == ids[3], Evidence.kind == EvidenceKind.PROGRESS_REVIEW
            )
        )
        assert made == 1


def test_two_parties_opening_a_new_review_at_once_share_it(
    committing_app: Flask, factory: Factory
) -> None:
    with committing_app.app_context():
        portfolio = factory.apprenticeship(start_date=dt.date.today() - dt.timedelta(days=200))
        ids = (portfolio.id, portfolio.tutor_id, portfolio.line_manager_id)
        db.session.commit()

    def notes(user_id: int, text: str) -> Callable[[], None]:
        def run() -> None:
            user = db.session.get(User, user_id)
            review = reviews.ensure_review(user, db.session.get(Apprenticeship, ids[0]), 6)
            reviews.save_notes(user, review, text)

        return run

    errors = race(committing_app, notes(ids[1], "Tutor's notes"), notes(ids[2], "Manager's notes"))
    assert not errors, errors
    with committing_app.app_context():
        made = db.session.scalars(
            select(ProgressReview).where(ProgressReview.apprenticeship_id == ids[0])
        ).all()
        assert [(r.month, r.notes) for r in made] == [(6, "Manager's notes")]


def test_starting_the_showcase_twice_at_once_makes_one_version(
    committing_app: Flask, factory: Factory
) -> None:
    with committing_app.app_context():
        portfolio = factory.apprenticeship()
        ids = (portfolio.id, portfolio.apprentice_id)
        db.session.commit()

    def start() -> None:
        submissions.start_version(
            db.session.get(User, ids[1]), db.session.get(Apprenticeship, ids[0])
        )

    errors = race(committing_app, start, start)
    assert not errors, errors
    with committing_app.app_context():
        versions = db.session.scalars(
            select(Submission.version).where(Submission.apprenticeship_id == ids[0])
        ).all()
        assert versions == [1]


def _lock_and_edit(factory: Factory) -> tuple[Callable[[], None], Callable[[], None], int, int]:
    """A showcase ready to lock, and the two writers: lock it; retitle one of its items."""
    journey = build_journey(factory)
    draft = prepare(journey)
    apprentice_id, item_id, draft_id = journey[2]["apprentice"].id, journey[3][0].id, draft.id
    db.session.commit()

    def lock() -> None:
        storage = get_storage()
        with blobs_removed_on_failure(storage) as written:
            submissions.lock_submission(
                db.session.get(User, apprentice_id),
                db.session.get(Submission, draft_id),
                storage=storage,
                written=written,
            )

    def edit() -> None:
        evidence.update_evidence(
            db.session.get(User, apprentice_id),
            db.session.get(Evidence, item_id),
            evidence.EvidenceDetails(title=NEW_TITLE),
        )

    return lock, edit, draft_id, item_id


NEW_TITLE = "Changed while the showcase was being locked"


def _manifest_and_item_title(draft_id: int, item_id: int) -> tuple[str, str]:
    locked = db.session.get(Submission, draft_id)
    assert submissions.verify(locked, get_storage()).ok
    entry = next(i for i in locked.manifest["items"] if i["evidence_id"] == item_id)
    return entry["title"], db.session.get(Evidence, item_id).title


@pytest.mark.parametrize(
    "lock_first", [True, False], ids=["edit-after-lock-began-refused", "lock-waits-for-edit"]
)
def test_the_manifest_and_the_evidence_agree_whichever_comes_first(
    committing_app: Flask, factory: Factory, lock_first: bool
) -> None:
    with committing_app.app_context():
        lock, edit, draft_id, item_id = _lock_and_edit(factory)
        before = db.session.get(Evidence, item_id).title
    errors = race(committing_app, *((lock, edit) if lock_first else (edit, lock)))
    assert [type(e) for e in errors] == ([SubmissionLocked] if lock_first else []), errors
    expected = before if lock_first else NEW_TITLE
    with committing_app.app_context():
        assert _manifest_and_item_title(draft_id, item_id) == (expected, expected)


def _tagged_item(factory: Factory) -> tuple[int, int, int]:
    """A committed evidence item with one pending tag: (tag id, apprentice id, tutor id)."""
    portfolio = factory.apprenticeship()
    item = add_item(portfolio, EvidenceKind.REFLECTIVE_ACCOUNT, "Tagged")
    tag_id = tag(item, refs(portfolio)[0]).id
    ids = (tag_id, portfolio.apprentice_id, portfolio.tutor_id)
    db.session.commit()
    return ids


def _tag_history(tag_id: int) -> tuple[list[str], TagStatus, bool]:
    found = db.session.get(EvidenceTag, tag_id)
    return [e.action for e in found.events], found.status, found.removed_at is not None


def test_a_tag_removed_while_the_tutor_accepts_it_is_not_accepted(
    committing_app: Flask, factory: Factory
) -> None:
    """The tutor's request loaded the tag before the apprentice's removal committed; once it
    holds the evidence row it must see the tag as it is now, not as it was loaded."""
    with committing_app.app_context():
        tag_id, apprentice_id, tutor_id = _tagged_item(factory)

    def remove() -> None:
        evidence.remove_tag(
            db.session.get(User, apprentice_id), db.session.get(EvidenceTag, tag_id)
        )

    def accept() -> None:
        evidence.review_tag(
            db.session.get(User, tutor_id), db.session.get(EvidenceTag, tag_id), accept=True
        )

    errors = race(committing_app, remove, accept)
    assert [type(e) for e in errors] == [Conflict], errors
    with committing_app.app_context():
        assert _tag_history(tag_id) == (["created", "removed"], TagStatus.PENDING, True)


def test_removing_a_tag_twice_at_once_removes_it_once(
    committing_app: Flask, factory: Factory
) -> None:
    """Two tabs: the second removal finds the tag already removed and records nothing."""
    with committing_app.app_context():
        tag_id, apprentice_id, _ = _tagged_item(factory)

    def remove() -> None:
        evidence.remove_tag(
            db.session.get(User, apprentice_id), db.session.get(EvidenceTag, tag_id)
        )

    errors = race(committing_app, remove, remove)
    assert not errors, errors
    with committing_app.app_context():
        assert _tag_history(tag_id) == (["created", "removed"], TagStatus.PENDING, True)


def test_reordering_the_showcase_twice_at_once_keeps_the_last_order(
    committing_app: Flask, factory: Factory
) -> None:
    """The second reorder loaded the items' positions before the first committed; once it
    holds the showcase row it must compare against the positions as they are now, or setting
    an item back to its old position looks like no change and is never written."""
    with committing_app.app_context():
        portfolio = factory.apprenticeship()
        first, second = (add_item(portfolio, EvidenceKind.REFLECTIVE_ACCOUNT, t).id for t in "AB")
        draft = submissions.start_version(portfolio.apprentice, portfolio)
        submissions.set_items(portfolio.apprentice, draft, [first, second])
        ids = (draft.id, portfolio.apprentice_id)
        db.session.commit()

    def choose(order: list[int]) -> Callable[[], None]:
        def run() -> None:
            draft = submissions.get_submission(ids[0])  # the page's loader: items included
            submissions.set_items(db.session.get(User, ids[1]), draft, order)

        return run

    errors = race(committing_app, choose([second, first]), choose([first, second]))
    assert not errors, errors
    with committing_app.app_context():
        chosen = db.session.scalars(
            select(SubmissionItem.evidence_id)
            .where(SubmissionItem.submission_id == ids[0])
            .order_by(SubmissionItem.position)
        ).all()
        assert chosen == [first, second]


def test_two_follow_ups_of_one_action_at_once_keep_the_last(
    committing_app: Flask, factory: Factory
) -> None:
    """The tutor's page loaded the follow-up as "not done"; the line manager's "done" commits
    first; the tutor's "not done" must still land, not look like no change."""
    with committing_app.app_context():
        portfolio = factory.apprenticeship(start_date=dt.date.today() - dt.timedelta(days=220))
        earlier = reviews.ensure_review(portfolio.tutor, portfolio, 3)
        action = reviews.add_action(
            portfolio.tutor,
            earlier,
            text="Collect two statements",
            owner=portfolio.apprentice,
            due=dt.date.today(),
        )
        sign_all(earlier)
        review = reviews.ensure_review(portfolio.tutor, portfolio, 6)
        reviews.record_followup(portfolio.tutor, review, action.id, ActionOutcome.NOT_DONE, "")
        ids = (portfolio.id, action.id, portfolio.line_manager_id, portfolio.tutor_id)
        db.session.commit()

    def follow_up(user_id: int, outcome: ActionOutcome) -> Callable[[], None]:
        def run() -> None:
            user = db.session.get(User, user_id)
            review = reviews.ensure_review(user, db.session.get(Apprenticeship, ids[0]), 6)
            reviews.record_followup(user, review, ids[1], outcome, "")

        return run

    errors = race(
        committing_app,
        follow_up(ids[2], ActionOutcome.DONE),
        follow_up(ids[3], ActionOutcome.NOT_DONE),
    )
    assert not errors, errors
    with committing_app.app_context():
        outcomes = db.session.scalars(
            select(ActionFollowUp.outcome).where(ActionFollowUp.action_id == ids[1])
        ).all()
        assert outcomes == [ActionOutcome.NOT_DONE]


def test_re_tagging_a_removed_tag_from_two_tabs_restores_it_once(
    committing_app: Flask, factory: Factory
) -> None:
    """Both tabs showed the tag as removed; the second must find it restored, not restore it
    again (and reset the first's justification)."""
    with committing_app.app_context():
        tag_id, apprentice_id, _ = _tagged_item(factory)
        removed = db.session.get(EvidenceTag, tag_id)
        evidence.remove_tag(removed.evidence.apprenticeship.apprentice, removed)
        ids = (removed.evidence_id, removed.reference.ref)
        db.session.commit()

    def re_tag(justification: str) -> Callable[[], None]:
        def run() -> None:
            item = db.session.get(Evidence, ids[0])
            # What the page showed, held on to: the page's loader also loads each tag's events,
            # whose back-references keep the tags in the session until the collector runs.
            shown = list(item.tags)
            assert [t.removed_at is not None for t in shown] == [True]
            evidence.tag_evidence(
                db.session.get(User, apprentice_id), item, ref=ids[1], justification=justification
            )
            del shown

        return run

    errors = race(
        committing_app, re_tag("First tab's justification."), re_tag("Second tab's wording.")
    )
    assert [type(e) for e in errors] == [ValidationFailed], errors
    with committing_app.app_context():
        assert _tag_history(tag_id) == (
            ["created", "removed", "restored"],
            TagStatus.PENDING,
            False,
        )


def _graded_assessment(factory: Factory) -> tuple[int, int, int]:
    """A locked showcase, judged and graded by its assessor; (assessment id, assessor, a QA)."""
    from showcase.assessment import services as assessment
    from showcase.standards.services import doc_for

    journey = build_journey(factory)
    item, ao, people, _items = journey
    draft = prepare(journey)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(people["apprentice"], draft, storage=storage, written=written)
    graded = assessment.assign(people["ao_admin"], draft, people["assessor"])
    doc = doc_for(item.standard)
    judgements = [(c.ref, True, "") for m in doc.methods for c in doc.criteria(m.key)]
    assessment.record_judgements(people["assessor"], graded, judgements)
    for method in assessment.methods_needing_records(doc):
        assessment.save_method_record(
            people["assessor"],
            graded,
            method_key=method.key,
            held_on=dt.date.today(),
            duration_minutes=60,
            notes="Held as planned.",
            areas=list(doc.plan.observation_mandatory_areas),
        )
    assessment.confirm_grade(people["assessor"], graded)
    second_qa = factory.user(people["qa"].role, ao)
    db.session.commit()
    return graded.id, people["qa"].id, second_qa.id


def test_two_quality_assurers_at_once_decide_once(committing_app: Flask, factory: Factory) -> None:
    from showcase.assessment import services as assessment
    from showcase.assessment.models import Assessment, AssessmentStatus, QADecision

    with committing_app.app_context():
        assessment_id, first_qa, second_qa = _graded_assessment(factory)

    def decide(user_id: int, agrees: bool) -> Callable[[], None]:
        def run() -> None:
            assessment.decide_qa(
                db.session.get(User, user_id),
                db.session.get(Assessment, assessment_id),
                agrees=agrees,
                reasons="Sampled against the plan's criteria.",
            )

        return run

    errors = race(committing_app, decide(first_qa, True), decide(second_qa, False))
    assert [type(e) for e in errors] == [Conflict], errors
    with committing_app.app_context():
        decisions = db.session.scalars(
            select(QADecision.agrees).where(QADecision.assessment_id == assessment_id)
        ).all()
        assert decisions == [True]
        assert db.session.get(Assessment, assessment_id).status is AssessmentStatus.ASSURED
