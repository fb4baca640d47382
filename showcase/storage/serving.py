"""Serving stored files: after the permission check, with the sniffed type, Range support and
a sandboxing policy. Inline only for PDF, images, audio and video (indico's should_inline_file).

The one module of the package that needs Flask (it answers a request); the package's
``__init__`` does not import it, so the rest stays usable without an app.
"""

from __future__ import annotations

from typing import Protocol

from flask import Response, redirect, request
from werkzeug.http import parse_range_header
from werkzeug.wrappers import Response as BaseResponse

from .base import Storage, content_disposition
from .sniff import file_type


class ServableFile(Protocol):
    """What serving needs of a file: a StoredFile, or a frozen copy described by a manifest."""

    key: str
    size: int
    sha256: str
    mime_type: str
    display_name: str


#: User files may not run script, load anything, or be framed by other sites.
USER_FILE_CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; sandbox"
)
#: Chromium's PDF viewer refuses to run in a sandboxed document, so PDFs get the same policy
#: without ``sandbox``; the viewer does not run the PDF's scripts with the app's origin.
PDF_CSP = "default-src 'none'; frame-ancestors 'self'"
PRESIGNED_SECONDS = 300
CHUNK = 256 * 1024


def serve_stored_file(storage: Storage, stored: ServableFile, *, want_inline: bool) -> BaseResponse:
    """Send ``stored`` as a download, or inline when it is safe and asked for.

    Typed as werkzeug's Response, the type ``redirect`` is declared with; at run time both
    branches give the app's (Flask's) response class.
    """
    ftype = file_type(stored.mime_type)
    inline = bool(want_inline and ftype is not None and ftype.inline)
    url = storage.presigned_url(
        stored.key,
        filename=stored.display_name,
        content_type=stored.mime_type,
        inline=inline,
        expires_in=PRESIGNED_SECONDS,
    )
    if url is not None:
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "no-store"
        return response

    size = stored.size
    headers = {
        "Content-Type": stored.mime_type,
        "Content-Disposition": content_disposition(
            stored.display_name or "evidence", inline=inline
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": PDF_CSP
        if stored.mime_type == "application/pdf"
        else USER_FILE_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=300",
        "ETag": f'"{stored.sha256}"',
    }
    status = 200
    start, end = 0, size - 1
    byte_range = parse_range_header(request.headers.get("Range"))
    if byte_range is not None and size > 0:
        bounds = byte_range.range_for_length(size)
        if bounds is None:
            return Response(status=416, headers={"Content-Range": f"bytes */{size}", **headers})
        start, end = bounds[0], bounds[1] - 1
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1 if size else 0)
    body = storage.iter_range(stored.key, start, end, CHUNK) if size else iter(())
    return Response(body, status=status, headers=headers, direct_passthrough=True)
