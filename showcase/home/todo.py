"""Everyone's next step: each role's to-do list, computed from the state the app already has.

``todo_for(user, today)`` answers "what needs me?" for the home pages, the navigation's count
and ``GET /api/v1/me/todo``. Each item is one line: what, whose, how old or how soon, and a link
to the page where it is done. Lists are read with a fixed number of queries however many
learners a person supports (no query per learner): the apprenticeships with their coverage
summaries and standings (``showcase.assessment.stage``), the standards, the reviews, then one
query per kind of item the role has.

Past the gateway (with the assessor, graded) pace, reviews and sent-back tags no longer make
items: the one notion of the stage decides, as it does on the dashboard.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased
from werkzeug.routing import BuildError

from showcase import db
from showcase.accounts.models import Invitation, InvitationPurpose, Role, User
from showcase.assessment.models import Assessment, AssessmentStatus
from showcase.assessment.services import FAIL_GRADES, qa_problems, released_at_column
from showcase.assessment.stage import (
    Stage,
    Standing,
    standing_from_row,
)
from showcase.coverage.services import Progress, progress
from showcase.dashboard.services import cohort_query
from showcase.evidence.models import Evidence, EvidenceTag, TagStatus
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.reviews.models import ProgressReview, ReviewSection
from showcase.reviews.sections import template_for
from showcase.reviews.services import ReviewPoint, schedule
from showcase.standards import sufficiency
from showcase.standards.grading import grade_words
from showcase.standards.models import Standard, StandardReference
from showcase.standards.services import rules_for
from showcase.submissions.models import GatewaySignoff, SignoffRole, Submission, SubmissionStatus
from showcase.training import services as training
from showcase.witnesses.models import WitnessState
from showcase.witnesses.services import todo_requests

#: Reviews due within this many days are listed for tutors ("due in the next 14 days").
REVIEW_HORIZON_DAYS = 14
#: A learner with no new evidence for this many days is listed for their tutor.
QUIET_DAYS = 30
#: Learners behind pace listed one by one (furthest behind first); the rest are one line.
BEHIND_LISTED = 10


class Urgency(enum.IntEnum):
    """Sort order of the list, most pressing first; INFO items are news, not work."""

    OVERDUE = 0
    SOON = 1
    NORMAL = 2
    INFO = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class TodoItem:
    #: What kind of thing it is: "tag_sent_back", "review_signature", "review_due", …
    kind: str
    #: What to do, in one line.
    text: str
    #: Whose it is: the learner it concerns (or, on an apprentice's list, who it is from).
    whose: str
    #: The page where it is done (a path on this site).
    url: str
    urgency: Urgency = Urgency.NORMAL
    #: When it is due (reviews, sign-offs, assessments)…
    due: dt.date | None = None
    #: …or since when it has been waiting.
    since: dt.date | None = None
    #: A second line: the tutor's comment, the gaps that matter most…
    detail: str = ""
    apprenticeship_id: int | None = None

    def when(self, today: dt.date) -> str:
        """ "overdue by 3 days", "due in 5 days", "due today", "12 days ago"."""
        if self.due is not None:
            days = (self.due - today).days
            if days < 0:
                return f"overdue by {_days(-days)}"
            return "due today" if days == 0 else f"due in {_days(days)}"
        if self.since is not None:
            days = (today - self.since).days
            return "today" if days <= 0 else f"{_days(days)} ago"
        return ""


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def actionable(items: Iterable[TodoItem]) -> int:
    """How many items are work (the navigation's count): news items (INFO) are not."""
    return sum(1 for item in items if item.urgency is not Urgency.INFO)


def todo_for(user: User, today: dt.date | None = None) -> list[TodoItem]:
    """What needs ``user`` now, most pressing first."""
    today = today or dt.date.today()
    builder = {
        Role.APPRENTICE: _apprentice,
        Role.TUTOR: _tutor,
        Role.EMPLOYER_CONTACT: _line_manager,
        Role.ASSESSOR: _assessor,
        Role.QUALITY_ASSURER: _quality_assurer,
        Role.ADMIN: _admin,
    }.get(user.role)
    items = builder(user, today) if builder else []
    far = dt.date.max
    return sorted(
        items,
        key=lambda i: (i.urgency, i.due or far, -(i.since or dt.date.min).toordinal(), i.text),
    )


# ---- the cohort: what every list of learners reads, in four queries --------------------------


@dataclass
class Learner:
    id: int
    name: str
    start: dt.date
    tutor_id: int
    line_manager_id: int
    provider_id: int | None
    rules: sufficiency.StandardRules
    module_covered: dict[str, int]
    standing: Standing
    points: list[ReviewPoint] = field(default_factory=list)
    #: The keys of the sections written so far, per month of an open review.
    written: dict[int, set[str]] = field(default_factory=dict)

    @property
    def learning(self) -> bool:
        return self.standing.stage.learning

    def progress(self, today: dt.date) -> Progress:
        covered = sum(self.module_covered.values())
        return progress(self.rules, self.start, today, covered, len(self.rules.units))

    def top_gaps(self, n: int = 3) -> list[tuple[str, int]]:
        """The modules with most units still to cover (the showcase areas first)."""
        totals: dict[str, int] = {}
        for unit in self.rules.units:
            totals[unit.module_key] = totals.get(unit.module_key, 0) + 1
        gaps = [
            (m.title, totals.get(m.key, 0) - self.module_covered.get(m.key, 0))
            for m in self.rules.modules
        ]
        return sorted((g for g in gaps if g[1] > 0), key=lambda g: -g[1])[:n]


def _cohort(user: User, today: dt.date) -> list[Learner]:
    visible = visible_apprenticeships(user)
    rows = db.session.execute(
        cohort_query(
            user,
            Apprenticeship.tutor_id,
            Apprenticeship.line_manager_id,
            Apprenticeship.provider_id,
        )
    ).all()
    if not rows:
        return []
    standard_ids = {r.standard_id for r in rows}
    rules = {
        s.id: rules_for(s)
        for s in db.session.scalars(select(Standard).where(Standard.id.in_(standard_ids)))
    }
    reviews: dict[int, dict[int, ProgressReview]] = {}
    written: dict[int, set[str]] = {}
    for review in db.session.scalars(
        select(ProgressReview)
        .join(Apprenticeship, ProgressReview.apprenticeship_id == Apprenticeship.id)
        .where(visible)
    ):
        reviews.setdefault(review.apprenticeship_id, {})[review.month] = review
    # What has been written of the open reviews (few: a signed review is frozen).
    for review_id, key in db.session.execute(
        select(ReviewSection.review_id, ReviewSection.key)
        .join(ProgressReview, ReviewSection.review_id == ProgressReview.id)
        .join(Apprenticeship, ProgressReview.apprenticeship_id == Apprenticeship.id)
        .where(visible, ProgressReview.frozen_at.is_(None), ReviewSection.text != "")
    ):
        written.setdefault(review_id, set()).add(key)
    learners = []
    for r in rows:
        learner = Learner(
            id=r.id,
            name=r.name,
            start=r.start_date,
            tutor_id=r.tutor_id,
            line_manager_id=r.line_manager_id,
            provider_id=r.provider_id,
            rules=rules[r.standard_id],
            module_covered=r.module_covered or {},
            standing=standing_from_row(r),
        )
        learner.points = schedule(
            learner.start, learner.rules.review_points_months, reviews.get(r.id, {}), today
        )
        learner.written = {
            p.month: written.get(p.review.id, set()) for p in learner.points if p.review is not None
        }
        learners.append(learner)
    return learners


def _review_url(learner: Learner, month: int) -> str:
    return f"/apprenticeships/{learner.id}/reviews/{month}"


def _due_urgency(due: dt.date, today: dt.date) -> Urgency:
    if due < today:
        return Urgency.OVERDUE
    return Urgency.SOON if (due - today).days <= REVIEW_HORIZON_DAYS else Urgency.NORMAL


def _signature_items(learners: list[Learner], signer: str, today: dt.date) -> list[TodoItem]:
    """Reviews under way that wait for ``signer``: their signature once somebody has signed,
    and before that their part (nobody signs before every part is written), asked for once
    the meeting is booked or somebody has written theirs."""
    items = []
    for learner in learners:
        for point in learner.points:
            review = point.review
            if review is None or review.is_frozen or review.signed_at(signer) is not None:
                continue
            if any(review.signed_at(s) for s in ("apprentice", "employer", "tutor")):
                kind, verb = "review_signature", "Sign the"
                urgency = Urgency.OVERDUE if point.due < today else Urgency.SOON
            else:
                written = learner.written.get(point.month, set())
                if not (written or review.scheduled_at):
                    continue
                if not _own_part_missing(learner, signer, written):
                    continue
                kind, verb = "review_section", "Write your part of the"
                urgency = _due_urgency(point.due, today)
            items.append(
                TodoItem(
                    kind=kind,
                    text=f"{verb} {point.month}-month progress review",
                    whose=learner.name,
                    url=_review_url(learner, point.month),
                    urgency=urgency,
                    due=point.due,
                    apprenticeship_id=learner.id,
                )
            )
    return items


def _own_part_missing(learner: Learner, signer: str, written: set[str]) -> bool:
    template = template_for(learner.provider_id, current_app.config.get("REVIEW_SECTIONS_DIR"))
    return any(d.required and d.writer == signer and d.key not in written for d in template.written)


def _waiting_months(items: list[TodoItem]) -> set[tuple[int | None, str]]:
    kinds = ("review_signature", "review_section")
    return {(i.apprenticeship_id, i.url) for i in items if i.kind in kinds}


def _review_items(
    learners: list[Learner], today: dt.date, *, horizon: int | None, skip: set
) -> list[TodoItem]:
    """Unsigned review points overdue, or due within ``horizon`` days (None: overdue only)."""
    items = []
    for learner in learners:
        if not learner.learning:
            continue
        for point in learner.points:
            if point.signed or (learner.id, _review_url(learner, point.month)) in skip:
                continue
            days = (point.due - today).days
            if not point.overdue and (horizon is None or days > horizon):
                continue
            items.append(
                TodoItem(
                    kind="review_overdue" if point.overdue else "review_due",
                    text=f"Hold the {point.month}-month progress review",
                    whose=learner.name,
                    url=_review_url(learner, point.month),
                    urgency=_due_urgency(point.due, today),
                    due=point.due,
                    apprenticeship_id=learner.id,
                )
            )
    return items


def _behind_items(learners: list[Learner], today: dt.date) -> list[TodoItem]:
    """The learners furthest behind pace, each with the gaps that matter most; past
    BEHIND_LISTED of them one line sends the rest to the dashboard (a list of hundreds of
    learners is no one's next step, and working out each one's gaps costs time)."""
    behind = []
    for learner in learners:
        if not learner.learning:
            continue
        now = learner.progress(today)
        if now.pace != "behind" or now.expected is None:
            continue
        covered, total = sum(learner.module_covered.values()), len(learner.rules.units)
        share = covered * 100 // total if total else 0
        behind.append((round(now.expected * 100) - share, share, now.expected, learner))
    behind.sort(key=lambda entry: (-entry[0], entry[3].name, entry[3].id))
    items = [
        TodoItem(
            kind="behind_pace",
            text=f"Behind pace: {share} % covered, {round(expected * 100)} % expected by now",
            whose=learner.name,
            url=f"/apprenticeships/{learner.id}/coverage",
            detail=_gaps_text(learner),
            apprenticeship_id=learner.id,
        )
        for _deficit, share, expected, learner in behind[:BEHIND_LISTED]
    ]
    if len(behind) > BEHIND_LISTED:
        more = len(behind) - BEHIND_LISTED
        items.append(
            TodoItem(
                kind="behind_pace_more",
                text=f"{more} more learner{'' if more == 1 else 's'} behind pace",
                whose="",
                url="/dashboard",
                detail="The cohort dashboard lists everyone with their pace.",
            )
        )
    return items


def _gaps_text(learner: Learner) -> str:
    gaps = learner.top_gaps()
    if not gaps:
        return ""
    return "Gaps that matter most: " + "; ".join(
        f"{title} ({n} unit{'' if n == 1 else 's'})" for title, n in gaps
    )


def _signoff_items(
    user: User, learners: list[Learner], role: SignoffRole, today: dt.date
) -> list[TodoItem]:
    """Showcases at the gateway that wait for ``role``'s sign-off (one query)."""
    at_gateway = {
        learner.standing.submission_id: learner
        for learner in learners
        if learner.standing.stage is Stage.GATEWAY
    }
    if not at_gateway:
        return []
    signed = set(
        db.session.scalars(
            select(GatewaySignoff.submission_id).where(
                GatewaySignoff.submission_id.in_(list(at_gateway)), GatewaySignoff.role == role
            )
        )
    )
    return [
        TodoItem(
            kind="gateway_signoff",
            text="Sign off the gateway: is the showcase ready for assessment?",
            whose=learner.name,
            url=f"/submissions/{submission_id}",
            urgency=Urgency.SOON,
            apprenticeship_id=learner.id,
        )
        for submission_id, learner in at_gateway.items()
        if submission_id not in signed
    ]


# ---- each role -------------------------------------------------------------------------------


def _apprentice(user: User, today: dt.date) -> list[TodoItem]:
    learners = _cohort(user, today)
    items = _signature_items(learners, "apprentice", today)
    waiting = _waiting_months(items)
    items += _witness_items(learners)
    learning = {learner.id: learner for learner in learners if learner.learning}
    if learning:
        items += _sent_back_items(learning)
        items += _quiet_items(learning, today, own=True)
        items += _training_items(training.apprentice_todo(list(learning), today), learning)
    for learner in learners:
        standing = learner.standing
        if learner.learning:
            nxt = next((p for p in learner.points if not p.signed), None)
            if nxt is not None and (learner.id, _review_url(learner, nxt.month)) not in waiting:
                items.append(
                    TodoItem(
                        kind="next_review",
                        text=f"Your {nxt.month}-month progress review",
                        whose=user.name,
                        url=f"/apprenticeships/{learner.id}/coverage",
                        urgency=_due_urgency(nxt.due, today),
                        due=nxt.due,
                        detail=_gaps_text(learner),
                        apprenticeship_id=learner.id,
                    )
                )
        if standing.stage is Stage.ON_PROGRAMME:
            months_to_gateway = learner.progress(today).months_to_gateway
            if months_to_gateway == 0:
                items.append(
                    TodoItem(
                        kind="gateway",
                        text="You have been on programme long enough: start your showcase",
                        whose=user.name,
                        url=f"/apprenticeships/{learner.id}/showcase",
                        detail="Choose your evidence and write your summary for the gateway.",
                        apprenticeship_id=learner.id,
                    )
                )
        elif standing.stage is Stage.GATEWAY:
            items.append(
                TodoItem(
                    kind="gateway",
                    text="Finish your showcase for the gateway",
                    whose=user.name,
                    url=f"/submissions/{standing.submission_id}",
                    detail="The checklist says what is still missing.",
                    apprenticeship_id=learner.id,
                )
            )
        elif standing.stage is Stage.WITH_ASSESSOR:
            items.append(
                TodoItem(
                    kind="with_assessor",
                    text=f"Your showcase is locked: {standing.text.lower()}",
                    whose=user.name,
                    url=f"/submissions/{standing.submission_id}",
                    urgency=Urgency.INFO,
                    since=standing.locked_at.date() if standing.locked_at else None,
                    apprenticeship_id=learner.id,
                )
            )
        elif standing.stage is Stage.GRADED:
            grade = grade_words(standing.grade or "")
            items.append(
                TodoItem(
                    kind="grade_released",
                    text=f"Your end-point assessment grade is released: {grade}",
                    whose=user.name,
                    url=f"/apprenticeships/{learner.id}/showcase",
                    urgency=Urgency.INFO,
                    since=standing.graded_at.date() if standing.graded_at else None,
                    apprenticeship_id=learner.id,
                )
            )
    return items


def _sent_back_items(learning: dict[int, Learner]) -> list[TodoItem]:
    """Tags the tutor sent back, one line per evidence item, with the tutor's comment."""
    tutor = aliased(User)
    rows = db.session.execute(
        select(
            Evidence.id,
            Evidence.title,
            Evidence.apprenticeship_id,
            StandardReference.ref,
            EvidenceTag.review_comment,
            EvidenceTag.reviewed_at,
            tutor.name,
        )
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .join(StandardReference, EvidenceTag.reference_id == StandardReference.id)
        .outerjoin(tutor, EvidenceTag.reviewed_by_id == tutor.id)
        .where(
            Evidence.apprenticeship_id.in_(list(learning)),
            EvidenceTag.status == TagStatus.SENT_BACK,
            EvidenceTag.removed_at.is_(None),
            Evidence.deleted_at.is_(None),
        )
        .order_by(Evidence.id, EvidenceTag.id)
    ).all()
    by_item: dict[int, list] = {}
    for row in rows:
        by_item.setdefault(row[0], []).append(row)
    items = []
    for evidence_id, tags in by_item.items():
        _, title, appr_id, _, _, _, by = tags[0]
        numbers = ", ".join(t.ref.rsplit("/", 1)[-1] for t in tags)
        comments = list(dict.fromkeys(t.review_comment for t in tags if t.review_comment))
        latest = max((t.reviewed_at for t in tags if t.reviewed_at), default=None)
        n = len(tags)
        items.append(
            TodoItem(
                kind="tag_sent_back",
                text=f"{n} tag{'' if n == 1 else 's'} on “{title}” sent back: {numbers}",
                whose=f"from {by}" if by else "from your tutor",
                url=f"/evidence/{evidence_id}",
                urgency=Urgency.SOON,
                since=latest.date() if latest else None,
                detail=" / ".join(f"“{c}”" for c in comments),
                apprenticeship_id=appr_id,
            )
        )
    return items


def _witness_items(learners: list[Learner]) -> list[TodoItem]:
    """Witness statements asked for: waiting (news), or declined or expired (ask again). One
    query for every learner (``showcase.witnesses.services.todo_requests``)."""
    names = {learner.id: learner.name for learner in learners}
    items = []
    for request in todo_requests(list(names), db.utcnow()):
        url = f"/apprenticeships/{request.apprenticeship_id}/witnesses"
        whose = names[request.apprenticeship_id]
        if request.state is WitnessState.WAITING:
            items.append(
                TodoItem(
                    kind="witness_waiting",
                    text=f"Witness statement asked of {request.witness_name}: waiting for them",
                    whose=whose,
                    url=url,
                    urgency=Urgency.INFO,
                    since=request.since,
                    apprenticeship_id=request.apprenticeship_id,
                )
            )
            continue
        declined = request.state is WitnessState.DECLINED
        items.append(
            TodoItem(
                kind="witness_declined" if declined else "witness_expired",
                text=f"{request.witness_name} declined to give a witness statement: ask someone "
                "else, or ask again"
                if declined
                else f"The witness link to {request.witness_name} expired unanswered: ask again",
                whose=whose,
                url=url,
                urgency=Urgency.SOON,
                since=request.since,
                detail=f"Their reason: “{request.reason}”" if declined and request.reason else "",
                apprenticeship_id=request.apprenticeship_id,
            )
        )
    return items


def marking_url() -> str | None:
    """The tutor's marking queue, once that page exists (it is being built beside this)."""
    if "marking.index" not in current_app.view_functions:
        return None
    try:
        return current_app.url_map.bind("localhost").build("marking.index")
    except BuildError:
        return None


def _tutor(user: User, today: dt.date) -> list[TodoItem]:
    learners = _cohort(user, today)
    if not learners:
        return []
    items = _signature_items(learners, "tutor", today)
    items += _review_items(
        learners, today, horizon=REVIEW_HORIZON_DAYS, skip=_waiting_months(items)
    )
    items += _signoff_items(user, learners, SignoffRole.TRAINING_PROVIDER, today)
    items += _behind_items(learners, today)
    items += _witness_items(learners)
    learning = {learner.id: learner for learner in learners if learner.learning}
    if learning:
        items += _marking_items(learning)
        items += _quiet_items(learning, today)
        items += _training_items(training.tutor_todo(list(learning)), learning)
    return items


def _marking_items(learning: dict[int, Learner]) -> list[TodoItem]:
    """Tags waiting for the tutor: one line per learner, or one for the whole marking queue."""
    rows = db.session.execute(
        select(Evidence.apprenticeship_id, func.count(), func.min(EvidenceTag.created_at))
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .where(
            Evidence.apprenticeship_id.in_(list(learning)),
            EvidenceTag.status == TagStatus.PENDING,
            EvidenceTag.removed_at.is_(None),
            Evidence.deleted_at.is_(None),
        )
        .group_by(Evidence.apprenticeship_id)
    ).all()
    if not rows:
        return []
    queue = marking_url()
    if queue is not None:
        total = sum(n for _, n, _ in rows)
        oldest = min(o for _, _, o in rows)
        return [
            TodoItem(
                kind="marking",
                text=f"{total} tag{'' if total == 1 else 's'} waiting for you "
                "to accept or send back",
                whose=", ".join(sorted(learning[a].name for a, _, _ in rows)),
                url=queue,
                urgency=Urgency.SOON,
                since=oldest.date() if oldest else None,
            )
        ]
    return [
        TodoItem(
            kind="marking",
            text=f"{n} tag{'' if n == 1 else 's'} waiting for you to accept or send back",
            whose=learning[appr_id].name,
            url=f"/apprenticeships/{appr_id}/evidence?status=pending",
            urgency=Urgency.SOON,
            since=oldest.date() if oldest else None,
            apprenticeship_id=appr_id,
        )
        for appr_id, n, oldest in rows
    ]


def _quiet_items(
    learning: dict[int, Learner], today: dt.date, *, own: bool = False
) -> list[TodoItem]:
    """Learners with no new evidence for QUIET_DAYS (one query)."""
    latest = dict(
        db.session.execute(
            select(Evidence.apprenticeship_id, func.max(Evidence.created_at))
            .where(Evidence.apprenticeship_id.in_(list(learning)), Evidence.deleted_at.is_(None))
            .group_by(Evidence.apprenticeship_id)
        ).all()
    )
    items = []
    for appr_id, learner in learning.items():
        last = latest.get(appr_id)
        since = last.date() if last else learner.start
        if (today - since).days < QUIET_DAYS:
            continue
        if own:
            text = (
                "Add evidence: nothing new in your portfolio" if last else "Add your first evidence"
            )
        else:
            text = "Nothing new in the portfolio" if last else "No evidence added since the start"
        items.append(
            TodoItem(
                kind="nothing_new",
                text=text,
                whose=learner.name,
                url=f"/apprenticeships/{appr_id}/evidence/new"
                if own
                else f"/apprenticeships/{appr_id}/evidence",
                since=since,
                apprenticeship_id=appr_id,
            )
        )
    return items


def _line_manager(user: User, today: dt.date) -> list[TodoItem]:
    learners = _cohort(user, today)
    if not learners:
        return []
    items = _signature_items(learners, "employer", today)
    items += _review_items(learners, today, horizon=None, skip=_waiting_months(items))
    items += _signoff_items(user, learners, SignoffRole.EMPLOYER, today)
    items += _behind_items(learners, today)
    everyone = {learner.id: learner for learner in learners}
    items += _training_items(training.line_manager_todo(list(everyone), today), everyone)
    return items


def _training_items(
    todos: list[training.TrainingTodo], learners: dict[int, Learner]
) -> list[TodoItem]:
    """Off-the-job training items (``showcase.training.services``: entries waiting for the
    tutor, returned entries and months without active learning for the apprentice, the
    under-delivery statement for the line manager), each in a fixed number of queries."""
    return [
        TodoItem(
            kind=t.kind,
            text=t.text,
            whose=learners[t.apprenticeship_id].name,
            url=t.url,
            urgency=Urgency.SOON if t.soon else Urgency.NORMAL,
            since=t.since,
            detail=t.detail,
            apprenticeship_id=t.apprenticeship_id,
        )
        for t in todos
    ]


def _assessor(user: User, today: dt.date) -> list[TodoItem]:
    """Open assignments with the date the assessment window implies (one query)."""
    window = int(current_app.config.get("EPA_WINDOW_DAYS", 90))
    apprentice = aliased(User)
    rows = db.session.execute(
        select(Assessment.id, Assessment.status, Assessment.assigned_at, Submission.locked_at)
        .add_columns(apprentice.name, Apprenticeship.id)
        .join(Submission, Assessment.submission_id == Submission.id)
        .join(Apprenticeship, Submission.apprenticeship_id == Apprenticeship.id)
        .join(apprentice, Apprenticeship.apprentice_id == apprentice.id)
        .where(
            Assessment.assessor_id == user.id,
            Assessment.status.in_([AssessmentStatus.ASSIGNED, AssessmentStatus.SECOND_REVIEW]),
        )
    ).all()
    items = []
    for a_id, status, assigned_at, locked_at, name, appr_id in rows:
        start = (locked_at or assigned_at).date()
        due = start + dt.timedelta(days=window)
        second = status is AssessmentStatus.SECOND_REVIEW
        items.append(
            TodoItem(
                kind="assessment",
                text="Review your decision again: the quality assurer disagreed"
                if second
                else "Assess the locked showcase and confirm a grade",
                whose=name,
                url=f"/assessments/{a_id}",
                urgency=_due_urgency(due, today),
                due=due,
                detail=f"{status.label}; locked {start:%-d %b %Y}, so the assessment window "
                f"({window} days) ends {due:%-d %b %Y}.",
                apprenticeship_id=appr_id,
            )
        )
    return items


def _quality_assurer(user: User, today: dt.date) -> list[TodoItem]:
    """Graded decisions of the organisation chosen by the sampling plan and not yet sampled."""
    if user.organisation_id is None:
        return []
    apprentice, assessor = aliased(User), aliased(User)
    rows = db.session.execute(
        select(
            Assessment.id,
            Assessment.assessor_id,
            Assessment.status,
            Assessment.final_grade,
            Assessment.graded_at,
            apprentice.name,
            assessor.name,
            Apprenticeship.id,
            released_at_column(),
        )
        .join(Submission, Assessment.submission_id == Submission.id)
        .join(Apprenticeship, Submission.apprenticeship_id == Apprenticeship.id)
        .join(apprentice, Apprenticeship.apprentice_id == apprentice.id)
        .join(assessor, Assessment.assessor_id == assessor.id)
        .where(
            Submission.assessment_organisation_id == user.organisation_id,
            Assessment.graded_at.is_not(None),
        )
        .order_by(Assessment.graded_at, Assessment.id)
    ).all()
    seen_assessors: set[int] = set()
    waiting = []
    for a_id, assessor_id, status, grade, graded_at, name, by, appr_id, released in rows:
        first = assessor_id not in seen_assessors
        seen_assessors.add(assessor_id)
        failed = (grade or "") in FAIL_GRADES
        if status is not AssessmentStatus.GRADED or assessor_id == user.id:
            continue
        # Whether a decision is sampled was settled when it was confirmed (the sampling plan,
        # ``services.in_sample``): one left out was released then; one still unreleased waits.
        if released is not None:
            continue
        why = "first decision of this assessor" if first else "a fail" if failed else "sampled"
        waiting.append(
            TodoItem(
                kind="qa_sample",
                text=f"Sample the decision: {grade_words(grade or '')} by {by} ({why})",
                whose=name,
                url=f"/assessments/{a_id}",
                urgency=Urgency.SOON if first or failed else Urgency.NORMAL,
                since=graded_at.date(),
                apprenticeship_id=appr_id,
            )
        )
    if not waiting:
        return []
    # Independence reads each apprentice's history: checked only for the few sampled items.
    allowed = {
        a.id
        for a in db.session.scalars(
            select(Assessment).where(
                Assessment.id.in_([int(i.url.rsplit("/", 1)[1]) for i in waiting])
            )
        )
        if not qa_problems(user, a)
    }
    return [i for i in waiting if int(i.url.rsplit("/", 1)[1]) in allowed]


def _admin(user: User, today: dt.date) -> list[TodoItem]:
    items = _invitation_items(user, today)
    items += _missing_party_items(user)
    if user.organisation is not None and user.organisation.kind.value == "assessment_organisation":
        items += _assignment_items(user)
    return items


def _invitation_items(user: User, today: dt.date) -> list[TodoItem]:
    """People who never set a password: their invitation pending, or expired (one query)."""
    stmt = (
        select(User.id, User.name, User.organisation_id, Invitation.created_at)
        .add_columns(Invitation.expires_at, Invitation.used_at, Invitation.cancelled_at)
        .join(Invitation, Invitation.user_id == User.id)
        .where(
            User.password_hash.is_(None),
            User.is_active.is_(True),
            Invitation.purpose == InvitationPurpose.INVITATION,
        )
        .order_by(User.id, Invitation.id)
    )
    if not user.is_platform_admin:
        stmt = stmt.where(User.organisation_id == user.organisation_id)
    latest: dict[int, tuple] = {}
    for row in db.session.execute(stmt):
        latest[row[0]] = row  # ordered by id: the newest invitation wins
    now = dt.datetime.now(dt.UTC)
    items = []
    for _, name, org_id, created, expires, used, cancelled in latest.values():
        if used is not None:
            continue
        expires = expires if expires.tzinfo else expires.replace(tzinfo=dt.UTC)
        expired = cancelled is not None or expires <= now
        items.append(
            TodoItem(
                kind="invitation_expired" if expired else "invitation_pending",
                text="Invitation expired: send a new one"
                if expired
                else "Invitation sent, not yet accepted",
                whose=name,
                url=f"/admin/organisations/{org_id}" if org_id else "/admin/organisations",
                urgency=Urgency.SOON if expired else Urgency.NORMAL,
                since=created.date(),
            )
        )
    return items


def _missing_party_items(user: User) -> list[TodoItem]:
    """Apprenticeships whose tutor or line manager has gone (deactivated, or moved to another
    organisation): one query."""
    apprentice, tutor, manager = aliased(User), aliased(User), aliased(User)
    rows = db.session.execute(
        select(Apprenticeship.id, apprentice.name)
        .add_columns(
            or_(tutor.is_active.is_(False), tutor.organisation_id != Apprenticeship.provider_id),
            or_(
                manager.is_active.is_(False),
                manager.organisation_id != Apprenticeship.employer_id,
            ),
        )
        .join(apprentice, Apprenticeship.apprentice_id == apprentice.id)
        .join(tutor, Apprenticeship.tutor_id == tutor.id)
        .join(manager, Apprenticeship.line_manager_id == manager.id)
        .where(
            visible_apprenticeships(user),
            or_(
                tutor.is_active.is_(False),
                manager.is_active.is_(False),
                tutor.organisation_id != Apprenticeship.provider_id,
                manager.organisation_id != Apprenticeship.employer_id,
            ),
        )
    ).all()
    items = []
    for appr_id, name, no_tutor, no_manager in rows:
        missing = " and ".join(
            w for w, gone in (("a tutor", no_tutor), ("a line manager", no_manager)) if gone
        )
        items.append(
            TodoItem(
                kind="missing_party",
                text=f"Needs {missing}",
                whose=name,
                url=f"/admin/apprenticeships/{appr_id}/parties",
                urgency=Urgency.SOON,
                apprenticeship_id=appr_id,
            )
        )
    return items


def _assignment_items(user: User) -> list[TodoItem]:
    """Locked showcases sent to the admin's assessment organisation with no assessor yet."""
    apprentice = aliased(User)
    rows = db.session.execute(
        select(Submission.id, Submission.locked_at, apprentice.name, Apprenticeship.id)
        .join(Apprenticeship, Submission.apprenticeship_id == Apprenticeship.id)
        .join(apprentice, Apprenticeship.apprentice_id == apprentice.id)
        .outerjoin(Assessment, Assessment.submission_id == Submission.id)
        .where(
            and_(
                Submission.assessment_organisation_id == user.organisation_id,
                Submission.status == SubmissionStatus.LOCKED,
                Assessment.id.is_(None),
            )
        )
    ).all()
    return [
        TodoItem(
            kind="assign_assessor",
            text="Assign an independent assessor to the locked showcase",
            whose=name,
            url="/admin/assessments",
            urgency=Urgency.SOON,
            since=locked_at.date() if locked_at else None,
            apprenticeship_id=appr_id,
        )
        for _, locked_at, name, appr_id in rows
    ]
