"""Check an object that was assembled in storage (a finished multipart upload) as ingest() checks
an upload: count, hash, sniff, compare the name's extension with the content.

A local object is read in place. An S3 object is streamed once into a staging temp file, which
is hashed on the way and sniffed afterwards (libmagic and the structure checks need a seekable
local file), then removed. Nothing here deletes the object: on refusal the caller does.

``scan_stored()`` streams the object to the virus scanner straight from storage (clamd's
INSTREAM takes a stream, so there is no local copy on S3 either).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from .base import COPY_CHUNK_SIZE, Storage, os_errors, validate_key
from .ingest import IngestedFile, display_name, name_for_content, too_large
from .local import LocalStorage
from .scan import Scanner
from .sniff import sniff


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(COPY_CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _stage_copy(storage: Storage, key: str) -> tuple[Path, int, str]:
    """Stream the object into staging, hashing as it goes; return (path, size, sha256)."""
    fd, name = tempfile.mkstemp(dir=storage.staging_dir(), prefix="assemble-", suffix=".tmp")
    path = Path(name)
    digest = hashlib.sha256()
    size = 0
    try:
        with storage.open(key) as src, os_errors("stage the upload"), os.fdopen(fd, "wb") as out:
            while chunk := src.read(COPY_CHUNK_SIZE):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size, digest.hexdigest()


def inspect_stored(storage: Storage, key: str, *, filename: str, max_bytes: int) -> IngestedFile:
    """Describe an object already stored under ``key``, or raise 413/415 as ingest() would."""
    validate_key(key)
    name = display_name(filename)
    if isinstance(storage, LocalStorage):
        path, staged = storage.root / key, False
        with os_errors("read the upload"):
            size, sha256 = _hash_file(path)
    else:
        path, size, sha256 = _stage_copy(storage, key)
        staged = True
    try:
        if size > max_bytes:
            raise too_large(max_bytes)
        ftype = sniff(path)
    finally:
        if staged:
            path.unlink(missing_ok=True)
    name, extension = name_for_content(name, ftype)
    return IngestedFile(
        key=key,
        size=size,
        sha256=sha256,
        mime_type=ftype.mime,
        extension=extension,
        display_name=name,
    )


def scan_stored(storage: Storage, key: str, scanner: Scanner) -> None:
    """Scan an object already stored under ``key``; raise MalwareFound (422) or
    ScannerUnavailable (503) as ingest() would. The caller deletes the object on refusal."""
    validate_key(key)
    if not scanner.enabled:
        return
    with os_errors("read the upload"), storage.open(key) as stream:
        scanner.scan(stream)
