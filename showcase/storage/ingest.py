"""Take an upload from the request stream into storage: stream, count, hash, sniff, store.

The request body is copied in chunks to a temp file in ``storage.staging_dir()`` while its
SHA-256 and size are computed, so memory use stays flat however large the upload. The upload
is refused as soon as it passes ``max_bytes``; then its content is identified (see ``sniff``)
and only an accepted file is handed to ``storage.adopt()``. On any failure — too large,
refused, the client disconnecting mid-stream, storage down — the temp file is removed and
nothing is stored.

Request bodies are read through ``RequestBody``, which refuses a body that ends before the
length its client announced, and carries the SHA-256 the client may declare for the whole file
(RFC 9530 ``Repr-Digest``), which ``ingest()`` checks before anything is stored.

A multipart form's file part (the upload page without script) is written by the form parser
straight into staging as a ``StagedUpload``, hashed and counted as it arrives, and ``ingest()``
takes that file as it is: the bytes are written once, as for a raw body, instead of being spooled
to a temporary file by the parser and then copied again into staging.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.wrappers import Request

from showcase.errors import DigestMismatch, FileTooLarge, IncompleteBody, ShowcaseError

from .base import ReadableStream, Storage, os_errors, read_chunk, validate_key
from .scan import Scanner
from .sniff import FILE_TYPES, FileType, refuse, sniff

DEFAULT_CHUNK_SIZE = 1024 * 1024
MAX_DISPLAY_NAME = 120


@dataclass(frozen=True)
class IngestedFile:
    """What was stored, and what to record about it."""

    key: str
    size: int
    #: Hex SHA-256 of the content, for integrity checks and duplicate detection.
    sha256: str
    #: Canonical MIME type from the content (a key of ``FILE_TYPES``), never the client's.
    mime_type: str
    #: Extension with its dot: the user's, if it fits the content, else the usual one.
    extension: str
    #: The user's file name cleaned up for display; never use it as a path or key.
    display_name: str

    @property
    def file_type(self) -> FileType:
        """Label, category and inline flag for serving this file."""
        return FILE_TYPES[self.mime_type]


def too_large(max_bytes: int, *, part: bool = False) -> FileTooLarge:
    """The refusal of a file over the upload limit, ready to raise; every upload path's 413.

    ``part``: a resumable upload's part that would take the file past its announced size or
    the limit (the file changed on the device, or the limit was lowered meanwhile).
    """
    limit = format_size(max_bytes)
    if part:
        return FileTooLarge(
            f"This part would take the file past its announced size or the {limit} limit; "
            "the file may have changed on your device. Start the upload again.",
            field="file",
        )
    return FileTooLarge(
        f"This file is larger than the {limit} limit. Make it smaller "
        "(for a recording, trim it or use a lower quality) and upload it again.",
        field="file",
    )


# One member of an RFC 9530 digest dictionary (RFC 8941 structured field): a lower-case key, a
# byte sequence (":" base64 ":") and optional parameters, which carry no meaning for digests.
_DIGEST_MEMBER = re.compile(
    r"[ \t]*([a-z*][a-z0-9_.*-]*)=:([A-Za-z0-9+/]*={0,2}):(?:;[^,]*)?[ \t]*"
)


def _bad_digest(problem: str) -> ShowcaseError:
    return ShowcaseError(
        f"The Repr-Digest header {problem}. Send the file's SHA-256 as "
        "'Repr-Digest: sha-256=:<base64 of the 32-byte digest>:', or leave the header out.",
        field="digest",
    )


def repr_digest(value: str | None) -> bytes | None:
    """The SHA-256 that a ``Repr-Digest`` header declares (RFC 9530), or None without one.

    Written by hand: the header is one dictionary of byte sequences, and a structured-field
    library would be a dependency for a dozen lines. Anything else in it is refused as
    malformed rather than guessed at; a header without sha-256 is refused too, so a client
    never believes a digest was checked when it was not.
    """
    if value is None or not value.strip():
        return None
    digests: dict[str, bytes] = {}
    for member in value.split(","):
        match = _DIGEST_MEMBER.fullmatch(member)
        if match is None:
            raise _bad_digest("is not a list of algorithm=:base64: digests")
        try:
            digests[match[1]] = base64.b64decode(match[2], validate=True)
        except (binascii.Error, ValueError):
            raise _bad_digest(f"has an invalid base64 value for {match[1]}") from None
    if "sha-256" not in digests:
        raise _bad_digest("names no sha-256 digest, the only algorithm Showcase checks")
    if len(digests["sha-256"]) != hashlib.sha256().digest_size:
        raise _bad_digest("has a sha-256 value that is not 32 bytes long")
    return digests["sha-256"]


def repr_digest_header(sha256_hex: str) -> str:
    """The ``Repr-Digest`` value for a hex SHA-256 (what clients send; what we answer)."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode('ascii')}:"


class RequestBody:
    """A request body, held to what its client announced: its length and, optionally, digest.

    Under gunicorn a body whose client went away (closed, reset, or half-closed the socket) just
    ends early: reads return b"" and werkzeug adds no check, because the server sets
    ``wsgi.input_terminated``. Other servers, and werkzeug's own LimitedStream, raise
    ClientDisconnected or an OSError instead; a chunked body cut before its last chunk makes
    gunicorn raise as well. Every upload path reads its body through this class, which turns all
    of these into one IncompleteBody, so a truncated upload is never stored as if it were whole.
    """

    def __init__(
        self, stream: ReadableStream, *, length: int | None, sha256: bytes | None = None
    ) -> None:
        self.stream = stream
        #: Content-Length, or None for a chunked body (then the server detects truncation).
        self.length = length
        #: The SHA-256 the client declared for the whole body, checked by ``ingest()``.
        self.sha256 = sha256
        self.received = 0

    @classmethod
    def of(cls, request: Request) -> RequestBody:
        """The body of ``request`` with its Content-Length and ``Repr-Digest``."""
        header = ", ".join(request.headers.getlist("Repr-Digest")) or None
        return cls(request.stream, length=request.content_length, sha256=repr_digest(header))

    def incomplete(self) -> IncompleteBody:
        """The refusal of this body as cut short, ready to raise."""
        if self.length is not None:
            detail = f"{self.received} of {self.length} bytes came before the connection ended"
        else:
            detail = "the connection ended before the end of the file"
        return IncompleteBody(
            f"The upload did not arrive complete ({detail}), so nothing was stored. "
            "Check your connection and upload the file again.",
            field="file",
        )

    def read(self, size: int = -1, /) -> bytes:
        if self.length is not None:
            remaining = self.length - self.received
            if remaining <= 0:
                return b""
            size = remaining if size is None or size < 0 else min(size, remaining)
        if size == 0:
            return b""
        try:
            chunk = self.stream.read(size)
        except ClientDisconnected as exc:
            raise self.incomplete() from exc
        except HTTPException:
            raise  # werkzeug's own refusals (413 over MAX_CONTENT_LENGTH) stay what they are
        except Exception as exc:
            # OSError (connection reset), gunicorn's errors for a broken chunked body: in every
            # case the body can't be read to its end, which is all that matters here.
            raise self.incomplete() from exc
        if not chunk and self.length is not None:
            raise self.incomplete()
        self.received += len(chunk)
        return chunk


def format_size(size: int) -> str:
    """A byte count for people: "2 GB", "512 MB", "1.5 KB"."""
    # Binary multiples under the familiar labels, as Windows shows sizes; next to the decimal
    # sizes phones show, a limit stated this way errs in the user's favour.
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            value = f"{size / factor:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    return f"{size} bytes"


def display_name(filename: str, *, max_length: int = MAX_DISPLAY_NAME) -> str:
    """The user's file name, safe to show: no folders, control or bidi characters, bounded."""
    name = unicodedata.normalize("NFC", filename or "")
    # Browsers on Windows may send "C:\\fakepath\\name.pdf"; keep only the last part.
    name = name.replace("\\", "/").rpartition("/")[2]
    # Category C covers control characters and also format characters such as U+202E, the
    # right-to-left override that makes "gpj.exe" display as "exe.jpg".
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if len(name) > max_length:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: max_length - len(ext)].rstrip(" .") + ext
    return name


def name_for_content(name: str, ftype: FileType) -> tuple[str, str]:
    """The display name and extension of a file called ``name`` whose content is ``ftype``.

    The name's extension must fit the content (415 otherwise: a ``.pdf`` that is a JPEG is the
    wrong file, or a disguised one). A name without an extension downloads as an unknown type,
    so it gets the content's usual one.
    """
    given = os.path.splitext(name)[1].lower()
    if given and given not in ftype.extensions:
        raise refuse(
            f"The file is called {given} but its content is {ftype.described}; rename it "
            f"to {ftype.extension} or choose the right file."
        )
    extension = given or ftype.extension
    if not given:
        name = f"{name or 'upload'}{extension}"
    return name, extension


def _copy_limited(
    stream: ReadableStream, out: BinaryIO, *, max_bytes: int, chunk_size: int
) -> tuple[int, str]:
    """Copy ``stream`` to ``out``; return (size, sha256). Never reads past max_bytes + 1."""
    digest = hashlib.sha256()
    size = 0
    while True:
        # Ask for at most one byte more than the limit allows, so an oversize upload is
        # detected without reading (much) further.
        chunk = read_chunk(stream, min(chunk_size, max_bytes - size + 1))
        if not chunk:
            return size, digest.hexdigest()
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        digest.update(chunk)
        out.write(chunk)


class StagedUpload:
    """A form's file part, written into staging by the form parser as it arrives.

    Werkzeug's parser writes each file part to whatever ``Request._get_file_stream`` returns,
    then seeks it back to the start and wraps it in a FileStorage. This one is a real file in
    the storage's staging folder that hashes and counts what is written and refuses a part past
    ``max_bytes`` while it streams. ``ingest()`` claims the file instead of copying it; a part
    nobody claims (a refused form, a request that failed) is removed when it is closed, which
    the request does when it ends.
    """

    def __init__(self, staging: Path, *, max_bytes: int) -> None:
        fd, name = tempfile.mkstemp(dir=staging, prefix="form-", suffix=".tmp")
        self.path = Path(name)
        self._file: BinaryIO = os.fdopen(fd, "w+b")
        self._digest = hashlib.sha256()
        self.size = 0
        self.max_bytes = max_bytes
        self._claimed = False

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.max_bytes:
            self.close()
            raise too_large(self.max_bytes)
        self._digest.update(data)
        return self._file.write(data)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def claim(self) -> Path:
        """Hand the finished file over (to be adopted or removed by the caller)."""
        self._file.close()
        self._claimed = True
        return self.path

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
        if not self._claimed:
            self.path.unlink(missing_ok=True)

    @property
    def closed(self) -> bool:
        return self._file.closed

    def __getattr__(self, name: str) -> Any:
        # read, seek, tell, readable, seekable, flush… are the file's own.
        return getattr(self._file, name)


def check_digest(sha256_hex: str, declared: bytes | None) -> None:
    """Refuse a file whose SHA-256 is not the one its client declared (if it declared one)."""
    if declared is not None and bytes.fromhex(sha256_hex) != declared:
        raise DigestMismatch(
            "The file that arrived is not the file you sent: its SHA-256 differs from the "
            "Repr-Digest you declared, so nothing was stored. Upload it again.",
            field="digest",
        )


def _stage(
    stream: ReadableStream, storage: Storage, *, max_bytes: int, chunk_size: int
) -> tuple[int, str, Path]:
    """Copy ``stream`` to a new file in staging; (size, sha256, path), or nothing left."""
    fd, tmp_name = tempfile.mkstemp(dir=storage.staging_dir(), prefix="ingest-", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os_errors("stage the upload"), os.fdopen(fd, "wb") as out:
            size, sha256 = _copy_limited(stream, out, max_bytes=max_bytes, chunk_size=chunk_size)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size, sha256, tmp


def ingest(
    stream: ReadableStream,
    *,
    filename: str,
    storage: Storage,
    key: str,
    max_bytes: int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    scanner: Scanner | None = None,
) -> IngestedFile:
    """Stream an upload to staging, check it, and store it under ``key``; or store nothing.

    ``scanner`` (the app's, which ``add_evidence`` passes) scans the staged file before it is
    stored; None scans nothing (scripts and tests of the other checks)."""
    validate_key(key)
    if max_bytes <= 0 or chunk_size <= 0:
        raise ValueError("max_bytes and chunk_size must be positive")
    name = display_name(filename)
    if isinstance(stream, StagedUpload):
        # Already in staging, hashed and counted by the form parser: take it as it is.
        size, sha256, tmp = stream.size, stream.sha256, stream.claim()
        if size > max_bytes:
            tmp.unlink(missing_ok=True)
            raise too_large(max_bytes)
    else:
        size, sha256, tmp = _stage(stream, storage, max_bytes=max_bytes, chunk_size=chunk_size)
    try:
        if isinstance(stream, RequestBody) and stream.sha256 is not None:
            check_digest(sha256, stream.sha256)
        ftype = sniff(tmp)
        name, extension = name_for_content(name, ftype)
        if scanner is not None:
            with tmp.open("rb") as staged:
                scanner.scan(staged)  # MalwareFound (422) or ScannerUnavailable (503)
        storage.adopt(key, tmp)
    except BaseException:
        # Client disconnects, refusals and storage failures alike: leave nothing behind.
        tmp.unlink(missing_ok=True)
        raise
    return IngestedFile(
        key=key,
        size=size,
        sha256=sha256,
        mime_type=ftype.mime,
        extension=extension,
        display_name=name,
    )
