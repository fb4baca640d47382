"""Coverage endpoints of the JSON API (the cohort dashboard's are in ``showcase.dashboard``)."""

from __future__ import annotations

import datetime as dt

from flask import request
from flask_login import current_user
from pydantic import BaseModel

from showcase.api import bp, responses, spec
from showcase.coverage import services
from showcase.coverage.views import parse_as_of
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.standards import sufficiency


class GapOut(BaseModel):
    kind: str
    reason: str
    action: str


class UnitOut(BaseModel):
    ref: str
    module: str
    number: str
    tags: int
    accepted: int
    pending: int
    sent_back: int
    third_party_accepted: int
    kinds: list[str]
    covered: bool
    gap: GapOut | None


class GroupOut(BaseModel):
    key: str
    title: str
    covered: int
    total: int
    percent: int


class CoverageOut(BaseModel):
    apprenticeship_id: int
    as_of: dt.date
    overall: GroupOut
    modules: list[GroupOut]
    methods: list[GroupOut]
    units: list[UnitOut]


class CoverageQuery(BaseModel):
    as_of: dt.date | None = None


def _group(group: sufficiency.GroupCoverage) -> GroupOut:
    return GroupOut(
        key=group.key,
        title=group.title,
        covered=group.covered,
        total=group.total,
        percent=group.percent,
    )


def serialise_report(apprenticeship_id: int, report: sufficiency.Report) -> CoverageOut:
    return CoverageOut(
        apprenticeship_id=apprenticeship_id,
        as_of=report.as_of,
        overall=_group(report.overall),
        modules=[_group(m) for m in report.modules],
        methods=[_group(g) for g in report.groups],
        units=[
            UnitOut(
                ref=u.rule.ref,
                module=u.rule.module_key,
                number=u.rule.number,
                tags=u.tally.tag_count,
                accepted=u.tally.accepted,
                pending=u.tally.pending,
                sent_back=u.tally.sent_back,
                third_party_accepted=u.tally.third_party_accepted,
                kinds=list(u.tally.kinds),
                covered=u.covered,
                gap=GapOut(kind=u.gap.kind, reason=u.gap.reason, action=u.gap.action)
                if u.gap
                else None,
            )
            for u in report.units
        ],
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/coverage")
@spec.validate(query=CoverageQuery, resp=responses(HTTP_200=CoverageOut), tags=["coverage"])
def get_coverage(apprenticeship_id: int) -> CoverageOut:
    """Coverage per unit, module, method and overall, as of a date (default today)."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    today = dt.date.today()
    as_of = parse_as_of(request.args.get("as_of"), today)
    return serialise_report(apprenticeship.id, services.report_at(apprenticeship, as_of, today))
