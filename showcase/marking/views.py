"""The marking queue page: filter, decide one (Accept, or Send back with a comment), accept several.

After a decision the answer is a redirect to the queue, at the same filters, starting at the
tag that came after the decided one, with that tag's Accept button autofocused and a status
message just above it. The page needs no script: native forms and buttons, so it is keyboard
operable as it stands. (No URL fragment on the redirect: browsers skip ``autofocus`` when the
URL targets an element; each row still has its ``tag-<id>`` anchor for links.)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from showcase import db
from showcase.errors import ValidationFailed
from showcase.evidence import services as evidence
from showcase.evidence.loaders import get_tag_or_404
from showcase.evidence.models import EvidenceKind, EvidenceTag
from showcase.marking import services
from showcase.marking.forms import AcceptSeveralForm, DecisionForm, QueueFilterForm
from showcase.marking.loaders import get_marker_or_404, get_tags_or_404
from showcase.marking.services import Cursor, MarkingFilter

bp = Blueprint("marking", __name__)

#: The message shown above the queue after a decision (kept in the session across the
#: redirect, like a flash, but shown beside the list rather than at the top of the page).
STATUS_KEY = "marking.status"

#: The most rows one "Accept ticked" may carry (a page shows fewer).
MAX_BATCH = services.MAX_PAGE_SIZE


def parse_filters(learner: str | None, module: str | None, kind: str | None) -> MarkingFilter:
    """The queue's filters from text (query string or hidden fields); 422 on a bad value."""
    if learner and not (learner.isdigit() and len(learner) <= 10):
        raise ValidationFailed("Choose a learner from the list.", field="learner")
    try:
        kind_value = EvidenceKind(kind) if kind else None
    except ValueError:
        raise ValidationFailed("Choose a kind of evidence from the list.", field="kind") from None
    return MarkingFilter(
        apprenticeship_id=int(learner) if learner else None,
        module=module or None,
        kind=kind_value,
    )


def queue_args(filters: MarkingFilter) -> dict[str, Any]:
    """The filters as query-string arguments (only those set)."""
    args: dict[str, Any] = {}
    if filters.apprenticeship_id is not None:
        args["learner"] = filters.apprenticeship_id
    if filters.module:
        args["module"] = filters.module
    if filters.kind is not None:
        args["kind"] = filters.kind.value
    return args


def _say(kind: str, text: str) -> None:
    session[STATUS_KEY] = {"kind": kind, "text": text}


def _label(tag: EvidenceTag) -> str:
    number = tag.reference.number or tag.reference.ref
    return f"{number} for {tag.evidence.apprenticeship.apprentice.name} (“{tag.evidence.title}”)"


def _back_to_queue(
    filters: MarkingFilter, after: Cursor | None, focus: int | str, **extra: Any
) -> Response:
    args = queue_args(filters)
    if after is not None:
        args["after"] = str(after)
    return redirect(url_for("marking.index", **args, focus=focus, **extra))


@bp.get("/marking")
@login_required
def index() -> str:
    tutor = get_marker_or_404(current_user)
    context = services.queue_context(tutor)
    form = QueueFilterForm(request.args)
    form.learner.choices = []
    form.module.choices = [
        SelectChoice("", "Every module"),
        *(SelectChoice(m.value, m.title, optgroup=m.standard) for m in context.modules),
    ]
    filters, after = MarkingFilter(), None
    valid = form.validate()
    chosen = form.learner.data or ""
    if chosen and chosen not in {str(x.apprenticeship_id) for x in context.learners}:
        form.learner.errors = ["Choose one of your learners."]
        valid = False
    if valid:
        filters = parse_filters(form.learner.data, form.module.data, form.kind.data)
        after = Cursor.parse(form.after.data)
    page = services.pending_tags(tutor, filters, after=after)
    focus = request.args.get("focus", "")
    args = queue_args(filters)
    # Written here rather than in the template: a tutor may have a thousand learners, and the
    # template's per-option escaping and calls were most of the page's time.
    # Safe: ids are integers and every name passes through escape().
    learner_options = Markup(  # noqa: S704
        "".join(
            f'<option value="{x.apprenticeship_id}"'
            f"{' selected' if str(x.apprenticeship_id) == chosen else ''}>{escape(x.name)}</option>"
            for x in context.learners
        )
    )
    return render_template(
        "marking/index.html",
        learner_options=learner_options,
        form=form,
        context=context,
        page=page,
        filters=filters,
        args=args,
        after=after,
        first_url=url_for("marking.index", **args),
        next_url=url_for("marking.index", **args, after=str(page.next_cursor))
        if page.next_cursor
        else None,
        status=session.pop(STATUS_KEY, None),
        focus=int(focus) if focus.isdigit() else focus,
        fix=request.args.get("fix"),
        # url_for once, not per row: it dominates a long page otherwise.
        evidence_base=url_for("evidence.show", evidence_id=0)[:-1],
    )


@bp.post("/marking/decide")
@login_required
def decide() -> Response:
    """One decision: Accept, or Send back with a comment; then the next tag, focused."""
    tutor = get_marker_or_404(current_user)
    form = DecisionForm()
    if not form.validate_on_submit():
        raise ValidationFailed("Choose Accept or Send back for one item of the queue.")
    filters = parse_filters(form.learner.data, form.module.data, form.kind.data)
    page_after = Cursor.parse(form.after.data)
    tag = get_tag_or_404(tutor, form.tag.data)
    accept = form.decision.data == "accept"
    try:
        evidence.review_tag(tutor, tag, accept=accept, comment=form.comment.data or "")
    except ValidationFailed as error:
        # Sending back without a comment: back to the same row, its comment box focused.
        db.session.rollback()
        _say("error", f"{error.message} ({_label(tag)})")
        return _back_to_queue(filters, page_after, tag.id, fix="comment")
    done = Cursor(tag.created_at, tag.id)
    following = services.next_pending(tutor, filters, done)
    verdict = "Accepted" if accept else "Sent back"
    if following is None:
        _say("success", f"{verdict}: {_label(tag)}. That was the end of the queue.")
        return _back_to_queue(filters, None, "status")
    _say("success", f"{verdict}: {_label(tag)}. Next is below.")
    return _back_to_queue(filters, done, following.tag_id)


@bp.post("/marking/accept")
@login_required
def accept() -> Response:
    """Accept every ticked row at once (all or nothing); then the same page of the queue."""
    tutor = get_marker_or_404(current_user)
    form = AcceptSeveralForm()
    if not form.validate_on_submit():
        raise ValidationFailed("The form could not be read. Reload the queue and try again.")
    filters = parse_filters(form.learner.data, form.module.data, form.kind.data)
    page_after = Cursor.parse(form.after.data)
    values = request.form.getlist("tag")
    if len(values) > MAX_BATCH or not all(v.isdigit() and len(v) <= 10 for v in values):
        raise ValidationFailed(f"Tick at most {MAX_BATCH} items of the queue.", field="tag")
    tags = get_tags_or_404(tutor, [int(v) for v in values])
    if not tags:
        _say("error", "Tick the items to accept first, then press “Accept ticked items”.")
        return _back_to_queue(filters, page_after, "status")
    services.accept_tags(tutor, tags)
    first = services.next_pending(tutor, filters, page_after)
    count = f"{len(tags)} item{'s' if len(tags) != 1 else ''}"
    if first is None:
        _say("success", f"Accepted {count}. That was the end of the queue.")
        return _back_to_queue(filters, None, "status")
    _say("success", f"Accepted {count}. Next is below.")
    return _back_to_queue(filters, page_after, first.tag_id)
