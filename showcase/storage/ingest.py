"""Take an upload from the request stream into storage: stream, count, hash, sniff, store.

The request body is copied in chunks to a temp file in ``storage.staging_dir()`` while its
SHA-256 and size are computed, so memory use stays flat however large the upload. The upload
is refused as soon as it passes ``max_bytes``; then its content is identified (see ``sniff``)
and only an accepted file is handed to ``storage.adopt()``. On any failure — too large,
refused, the client disconnecting mid-stream, storage down — the temp file is removed and
nothing is stored.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from showcase.errors import FileTooLarge

from .base import ReadableStream, Storage, os_errors, read_chunk, validate_key
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


def too_large(max_bytes: int) -> FileTooLarge:
    """The refusal of a file over the upload limit, ready to raise."""
    return FileTooLarge(
        f"This file is larger than the {format_size(max_bytes)} limit. Make it smaller "
        "(for a recording, trim it or use a lower quality) and upload it again.",
        field="file",
    )


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


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


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


def ingest(
    stream: ReadableStream,
    *,
    filename: str,
    storage: Storage,
    key: str,
    max_bytes: int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> IngestedFile:
    """Stream an upload to staging, check it, and store it under ``key``; or store nothing."""
    validate_key(key)
    if max_bytes <= 0 or chunk_size <= 0:
        raise ValueError("max_bytes and chunk_size must be positive")
    name = display_name(filename)
    fd, tmp_name = tempfile.mkstemp(dir=storage.staging_dir(), prefix="ingest-", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os_errors("stage the upload"), os.fdopen(fd, "wb") as out:
            size, sha256 = _copy_limited(stream, out, max_bytes=max_bytes, chunk_size=chunk_size)
        ftype = sniff(tmp)
        given = _extension(name)
        if given and given not in ftype.extensions:
            raise refuse(
                f"The file is called {given} but its content is {ftype.described}; rename it "
                f"to {ftype.extension} or choose the right file."
            )
        extension = given or ftype.extension
        if not given:
            # A name without an extension downloads as an unknown type; give it the right one.
            name = f"{name or 'upload'}{extension}"
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
