"""What the database must guarantee when two people change one portfolio at the same moment.

PostgreSQL only, with real commits on separate connections: the rolled-back harness cannot show
what one committed transaction does to another. Each test runs two writers in threads. The
first flushes its change and holds its transaction open; the second starts its own change in
that window. Under READ COMMITTED the second's checks would run on rows read before the first
committed, so the services take row locks before checking (``db.lock_for_change``); without
them every assertion below fails (each was seen failing before the lock was added).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import User
from showcase.coverage.cli import rollup_state
from showcase.coverage.rollup import rebuild
from showcase.errors import SubmissionLocked
from showcase.evidence import services as evidence
from showcase.evidence.models import Evidence, EvidenceKind
from showcase.portfolios.models import Apprenticeship
from showcase.reviews import services as reviews
from showcase.reviews.models import ProgressReview
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from showcase.submissions.models import Submission
from tests.conftest import Factory, built_app
from tests.functional.test_coverage import add_item, refs, tag
from tests.functional.test_gateway_assessment import build_journey, prepare

#: How long the first writer keeps its transaction open after the second has started.
HOLD_SECONDS = 0.5


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


def race(app: Flask, first: Callable[[], None], second: Callable[[], None]) -> list[BaseException]:
    """Run ``first`` (flush, then hold the transaction) and ``second`` (starts in that window),
    each in its own thread, app context and session; commit each. Returns what they raised."""
    first_flushed, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run_first() -> None:
        with app.app_context():
            first()
            db.session.flush()
            first_flushed.set()
            second_started.wait(10)
            time.sleep(HOLD_SECONDS)
            db.session.commit()

    def run_second() -> None:
        with app.app_context():
            first_flushed.wait(10)
            second_started.set()
            second()
            db.session.commit()

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as error:  # reported to the test, not lost in the thread
                errors.append(error)

        return run

    threads = [threading.Thread(target=guarded(t)) for t in (run_first, run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    return errors


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
        with evidence.blobs_removed_on_failure(storage) as written:
            submissions.lock(
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
