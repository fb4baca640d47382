"""Request input, refused once where it is parsed rather than in each view.

- **Ids** in paths go through a bounded ``int`` converter: anything beyond the database's
  integer (PostgreSQL's ``integer`` is 32-bit) matches no route, so it is a 404 and never
  reaches a query. ``request.args.get(..., type=int)`` and ``request.form.get(..., type=int)``
  apply the same bound: an out-of-range number reads as absent, like any other non-number.
- **NUL characters** (PostgreSQL refuses them in text) are refused with 422 in query
  strings, form fields and JSON text (keys too); string path segments cannot contain one, so
  such a path is a 404.
- **Bodies** of every route except the upload endpoints are capped (``MAX_BODY_BYTES``, 1 MiB):
  a declared larger body is a 413 before a byte of it is read, and a chunked one is refused
  as soon as it passes the cap.
- **JSON** is decoded strictly: UTF-8 only, no NaN/Infinity, nesting at most
  ``MAX_JSON_DEPTH`` deep. The API's own hook (``showcase.api``) uses ``read_json_body`` to
  answer 415 for a body that is not ``application/json`` and 400 for one that does not parse.

Flask and werkzeug do the parsing; this module only narrows what they accept, so there is no
hand-written parser here beyond the depth and NUL walk over the already decoded value.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, request
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

from showcase.errors import (
    MalformedRequest,
    RequestTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from showcase.storage.ingest import RequestBody, StagedUpload
from showcase.storage_ext import get_storage

#: The largest id the database holds: every primary key is a 32-bit ``integer`` on PostgreSQL.
MAX_ID = 2**31 - 1
#: Deeper JSON is refused; Showcase's own bodies are at most three levels deep.
MAX_JSON_DEPTH = 32
#: Endpoints whose body is a file (or a part of one): their size is the upload code's concern
#: (``MAX_UPLOAD_BYTES``), so the body cap does not apply. ``tests/functional/
#: test_request_limits.py`` checks that each still exists, so a rename cannot silently cap uploads.
UPLOAD_ENDPOINTS = frozenset(
    {
        "evidence.upload",  # the upload page: raw body or multipart
        "evidence.append_upload",  # a resumable upload's part, from the page
        "api.upload_evidence",
        "api.append_upload",
        "witnesses.sign",  # a witness's statement, with an optional document or recording
    }
)
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# -- ids -----------------------------------------------------------------------------------


def _at_most(limit: int) -> str:
    """A regex of the decimal numbers from 0 to ``limit`` (1 to 9 digits, then digit by digit)."""
    digits = str(limit)
    parts = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        lowest = "1" if i == 0 else "0"
        if digit > lowest:
            rest = len(digits) - i - 1
            parts.append(
                f"{digits[:i]}[{lowest}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else "")
            )
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(IntegerConverter):
    """``<int:…>`` bounded to the database's integer: a larger number matches no route (404).

    The bound is in the regex, not only in ``to_python``: werkzeug checks a rule's methods
    before its converters, so a number refused only by ``to_python`` would answer 405 on a
    path that has a rule for another method.
    """

    regex = _at_most(MAX_ID)

    def __init__(
        self,
        map: Any,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)
        if signed:
            self.regex = f"-?{_at_most(MAX_ID + 1)}"


class NulFreeStringConverter(UnicodeConverter):
    """The default ``<name>`` converter, except that a segment may not hold a NUL."""

    def __init__(
        self,
        map: Any,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


class NulFreePathConverter(PathConverter):
    regex = "[^/\\x00][^\\x00]*?"


def bounded_int(value: Any) -> int:
    """``int(value)``, refusing (ValueError) anything beyond the database's integer."""
    number = int(value)
    if not -MAX_ID - 1 <= number <= MAX_ID:
        raise ValueError(f"{value!r} is out of range")
    return number


class BoundedMultiDict(ImmutableMultiDict):
    """Query and form values: ``type=int`` is bounded as ids are (see ``bounded_int``)."""

    def get(self, key: Any, default: Any = None, type: Callable | None = None) -> Any:
        return super().get(key, default, bounded_int if type is int else type)

    def getlist(self, key: Any, type: Callable | None = None) -> list:
        return super().getlist(key, bounded_int if type is int else type)


# -- JSON --------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_strict(data: str | bytes, **kwargs: Any) -> Any:
    """Decode a JSON body: UTF-8 only, standard JSON only, bounded depth, no NUL in text.

    Raises ValueError for malformed input (Flask turns it into a 400, or None when a caller
    asked for ``silent``) and ValidationFailed (422) for NUL, which no caller may ignore.
    """
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"The body is not valid UTF-8 (byte {error.start}).") from None
    try:
        value = json.loads(data, **{"parse_constant": _refuse_constant, **kwargs})
    except RecursionError:
        # The C decoder recurses once per level; 50,000 '[' would otherwise be a 500.
        raise ValueError(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.") from None
    _check_decoded(value)
    return value


def _check_decoded(value: Any) -> None:
    # Iterative, so that checking a deep value cannot itself exhaust the stack.
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise_nul(where or "body")
        elif isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
            items: Iterable[tuple[Any, Any]] = (
                node.items() if isinstance(node, dict) else enumerate(node)
            )
            for key, child in items:
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and "\x00" in key:
                    raise_nul(where or "body")
                stack.append((child, depth + 1, name))


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, decoding strictly (see ``loads_strict``); Flask hands ``app.json`` to every
    request, so ``request.get_json()`` and spectree's reading of the body both go through it."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_strict(s, **kwargs)


class ShowcaseRequest(FlaskRequest):
    """Flask's request with bounded integer parameters and JSON errors in Showcase's shape."""

    parameter_storage_class = BoundedMultiDict

    def _get_stream_for_parsing(self) -> Any:
        # A multipart form (the no-script upload page) is read through the same length-counting
        # body as every other upload, so a form whose client went away mid-file is refused as
        # incomplete (400) instead of parsing as a form that chose no file.
        stream = super()._get_stream_for_parsing()
        if self.mimetype == "multipart/form-data":
            return RequestBody(stream, length=self.content_length)
        return stream

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> Any:
        # On the upload endpoints a file part goes straight into staging, hashed as it arrives,
        # and is adopted from there: written once, not spooled and then copied again.
        if self.endpoint not in UPLOAD_ENDPOINTS:
            return super()._get_file_stream(
                total_content_length, content_type, filename, content_length
            )
        staged = StagedUpload(
            get_storage().staging_dir(), max_bytes=current_app.config["MAX_UPLOAD_BYTES"]
        )
        self.__dict__.setdefault("_staged_uploads", []).append(staged)
        return staged

    def close(self) -> None:
        # Parts nobody adopted (a refused form, a body cut short mid-part, an error) go now.
        for staged in self.__dict__.pop("_staged_uploads", []):
            staged.close()
        super().close()

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise UnsupportedMediaType(
                "Send the body as JSON, with the header 'Content-Type: application/json'."
            )
        raise MalformedRequest(f"The body is not valid JSON: {e}")


def read_json_body(*, required: bool) -> Any:
    """The request's JSON body, parsed strictly, or None when there is none and none is needed.

    415 when a body (or a required one) is not declared ``application/json``; 400 when it does
    not parse or a required body is empty. The value is cached, so later ``get_json`` calls
    (spectree's, the view's) read the same value.
    """
    has_body = bool(request.content_length) or _is_chunked()
    if not has_body and not required:
        return None
    if not request.is_json:
        raise UnsupportedMediaType(
            "Send the body as JSON, with the header 'Content-Type: application/json'."
        )
    if not has_body:
        raise MalformedRequest("This needs a JSON body.")
    return request.get_json()


# -- NUL and size -----------------------------------------------------------------------------


def raise_nul(field: str) -> None:
    raise ValidationFailed(
        f"{field} contains a NUL character (\\0), which text in Showcase cannot hold. "
        "Remove it and try again.",
        field=field,
    )


def _refuse_nul(values: ImmutableMultiDict) -> None:
    for key, value in values.items(multi=True):
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            raise_nul(key.replace("\x00", "\\0"))


def _format_bytes(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def _is_chunked() -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _read_capped_chunked_body(limit: int) -> None:
    """Read a chunked body (no Content-Length) here, refusing it once it passes ``limit``.

    Werkzeug's own limit on such a stream stops reading at the limit and returns the body cut
    short without an error, so a view would parse a truncated body. Reading at most one byte
    past the limit tells "exactly at the limit" from "over it"; the body read is put back as
    the request's stream.
    """
    stream = request.stream
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(64 * 1024, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise _too_large(limit)
    request.__dict__["stream"] = io.BytesIO(b"".join(chunks))  # werkzeug's cached_property


def _too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(
        f"The request body is larger than the {_format_bytes(limit)} Showcase accepts here."
    )


def _check_request() -> None:
    """Cap the body and refuse NUL in parameters, before any other hook reads the form."""
    _refuse_nul(request.args)
    if request.endpoint in UPLOAD_ENDPOINTS:
        return
    limit = current_app.config["MAX_BODY_BYTES"]
    if request.content_length is not None:
        # Answered at once from the header, without reading any of the body; werkzeug also
        # enforces the limit on every read.
        if request.content_length > limit:
            raise _too_large(limit)
        request.max_content_length = limit
    elif _is_chunked():
        _read_capped_chunked_body(limit)
    if request.method in _WRITE_METHODS:
        _refuse_nul(request.form)


def init_inputs(app: Flask) -> None:
    """Install the bounded converters, the strict request class and the request checks.

    Call it before any blueprint is registered (routes bind their converters then) and before
    CSRFProtect, whose hook reads the form.
    """
    app.request_class = ShowcaseRequest
    app.json = StrictJSONProvider(app)
    app.url_map.converters.update(
        int=IdConverter,
        default=NulFreeStringConverter,
        string=NulFreeStringConverter,
        path=NulFreePathConverter,
    )
    app.before_request(_check_request)
