"""The suggestions' part of the pages: template globals the evidence and coverage pages call.

``showcase.evidence`` sits below this package and cannot import it, so the tagging form asks
for its suggestions through ``evidence_suggestions(item)``, and the coverage page for its hints
through ``coverage_hints(apprenticeship, report)``, both registered by this blueprint. It also
subscribes the extraction job to the audit chain when the app registers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, current_app
from flask.blueprints import BlueprintSetupState

from showcase.evidence.models import Evidence
from showcase.portfolios.models import Apprenticeship
from showcase.suggest import cli, events, rank, services

bp = Blueprint("suggest", __name__, cli_group="suggest")
cli.register(bp.cli)


@bp.record_once
def _subscribe(_: BlueprintSetupState) -> None:
    events.subscribe()


@bp.app_template_global()
def evidence_suggestions(item: Evidence) -> services.ItemSuggestions:
    """The tagging form's suggestions for ``item``."""
    return services.suggest_for_item(item, current_app.config)


@bp.app_template_global()
def coverage_hints(apprenticeship: Apprenticeship, report: Any) -> list[services.Hint]:
    """For the gaps of a coverage ``report``, the learner's items that may show them."""
    refs = [u.rule.ref for u in report.gaps]
    hints = services.coverage_hints(apprenticeship, refs, current_app.config)
    # The surest first (their rank on the item), then in the standard's order.
    order = {ref: i for i, ref in enumerate(refs)}
    return sorted(hints.values(), key=lambda h: (h.rank, order[h.ref]))


@bp.app_template_global()
def prefill_tag_form(
    form: Any, found: services.ItemSuggestions, args: Mapping[str, str]
) -> rank.Suggestion | None:
    """Fill the tagging form from the suggestion the apprentice chose (``?suggestion=<ref>``,
    with ``quote=1`` to start the justification with its passage); the chosen one, or None.

    A GET link rather than script, so it works without JavaScript; the form's hidden fields
    carry the suggestion's rank and ranker to the tag. Nothing is tagged until they submit.
    """
    ref = args.get("suggestion")
    picked = next((s for s in found.suggestions if s.ref == ref), None)
    if picked is None or form.reference.data not in (None, "", picked.ref):
        return None
    form.reference.data = picked.ref
    form.suggestion_ref.data = picked.ref
    form.suggestion_rank.data = picked.rank
    form.suggestion_ranker.data = picked.ranker
    if args.get("quote") and picked.passage and not form.justification.data:
        form.justification.data = f"From the evidence: “{picked.passage}”\n\n"
    return picked
