"""Administrators read the audit trail of what they administer (the recorder, ``showcase.audit``,
sits below accounts; this page reads portfolio visibility, so it lives up here)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from showcase import db
from showcase.accounts.login import roles_required
from showcase.accounts.models import Role
from showcase.audit.checkpoints import verify
from showcase.audit.models import AuditEntry
from showcase.audit.permissions import can_read_every_entry, can_verify_chain
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.storage_ext import get_storage

bp = Blueprint("audit", __name__)

PAGE_SIZE = 100


@bp.get("/admin/audit")
@roles_required(Role.ADMIN)
def index() -> str:
    before = request.args.get("before", type=int)
    stmt = (
        select(AuditEntry)
        .order_by(AuditEntry.id.desc())
        .limit(PAGE_SIZE)
        .options(selectinload(AuditEntry.actor))
    )
    if before:
        stmt = stmt.where(AuditEntry.id < before)
    if not can_read_every_entry(current_user):
        # Organisation admins read the entries of apprenticeships they administer.
        visible = select(Apprenticeship.id).where(visible_apprenticeships(current_user))
        stmt = stmt.where(AuditEntry.apprenticeship_id.in_(visible))
    entries = db.session.scalars(stmt).all()
    chain = None
    if can_verify_chain(current_user) and not before:
        # Held against the newest signed checkpoint, so deleted newest entries show here too.
        report = verify(get_storage())
        chain = (report.checked, report.problems)
    return render_template("audit/index.html", entries=entries, chain=chain, page_size=PAGE_SIZE)
