"""The PDF copy of a signed witness statement: the statement, the units it is about, and a
signature block with the SHA-256 of the statement's canonical bytes.

Made with reportlab (a well-kept library, pure Python with no system libraries), in memory: a
statement is at most 20,000 characters, so the PDF is small.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

if TYPE_CHECKING:
    from showcase.standards.schema import Unit
    from showcase.witnesses.models import WitnessSignature


def _para(text: str, style) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render_statement(signature: WitnessSignature, units: Sequence[Unit]) -> bytes:
    """The PDF's bytes."""
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Code"]
    request = signature.request
    evidence = signature.evidence
    apprentice = request.apprenticeship.apprentice.name
    story = [
        Paragraph("Witness statement", styles["Title"]),
        _para(f"About the work of {apprentice}", styles["Heading2"]),
        _para(f"What happened (as the request described it): {request.note}", body),
        _para(f"Date of the activity: {request.activity_date:%-d %B %Y}", body),
        Paragraph("Units the statement is about", styles["Heading3"]),
    ]
    story += [_para(f"{u.number} ({u.module_title}): {u.text}", body) for u in units]
    story += [Paragraph("Statement", styles["Heading3"])]
    if evidence.description:
        story += [_para(evidence.description, body)]
    if evidence.file is not None:
        story += [
            _para(
                f"Attached file: {evidence.file.display_name} ({evidence.file.mime_type}, "
                f"{evidence.file.size} bytes), SHA-256 {evidence.file.sha256}",
                body,
            )
        ]
    rows = [
        ("Signed by", signature.typed_signature),
        ("Name", signature.signer_name),
        ("Job title", signature.signer_role),
        ("Relationship", signature.signer_relationship),
        ("Organisation", signature.signer_organisation or "—"),
        ("Link sent to", signature.sent_to_email),
        ("Signed at (UTC)", f"{signature.signed_at:%Y-%m-%d %H:%M:%S}"),
        ("Client address", signature.client_address),
        ("Browser", signature.user_agent[:160] or "—"),
    ]
    table = Table(
        [[_para(k, body), _para(v, body)] for k, v in rows], colWidths=[40 * mm, 130 * mm]
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [
        Spacer(1, 6 * mm),
        Paragraph("Signature", styles["Heading3"]),
        _para(f"Declaration: {signature.declaration}", body),
        table,
        Spacer(1, 4 * mm),
        _para(f"Statement SHA-256 (canonical form v{signature.hash_version}):", body),
        _para(signature.statement_sha256, small),
        _para(
            "The hash is over: the line 'showcase-witness-statement-v1', the line "
            "'file-sha256:' followed by the attached file's SHA-256 (or 'none'), then the "
            "statement text in UTF-8 with LF line breaks. Showcase's Verify action recomputes it.",
            body,
        ),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title="Witness statement",
        author=signature.signer_name,
        subject=f"Witness statement about {apprentice}",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    ).build(story)
    return buffer.getvalue()
