"""Storage on the local filesystem, under the ``uploads/`` root.

Every write goes to a temp file in ``<root>/.staging``, is fsynced, and is published under its
key with ``os.link``: the link is atomic, so a half-written file never appears under a key, and
it fails if the key exists, so two writers can't overwrite each other (write-once). The parent
directory is fsynced afterwards so the new name survives a crash. Dot-folders (``.staging``,
``.partial``) can never collide with keys, whose segments can't start with a dot.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .base import (
    COPY_CHUNK_SIZE,
    InvalidPart,
    MultipartUpload,
    ObjectExists,
    ObjectNotFound,
    ReadableStream,
    StoredObject,
    UploadedPart,
    UploadNotFound,
    check_part_sizes,
    check_range,
    copy_stream,
    os_errors,
    validate_key,
    validate_part_number,
    validate_prefix,
)

STAGING = ".staging"
PARTIAL = ".partial"
_UPLOAD_META = "upload.json"
_PART_SUFFIX = ".part"
_ETAG_RE = re.compile(r"[0-9a-f]{32}")


def _fsync_dir(path: Path) -> None:
    """Flush a directory's entries so a rename or link inside it is durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStorage:
    """Write-once storage in a directory tree on the local filesystem."""

    #: Parts always pass through the app: there is no address a client could send them to.
    direct_uploads = False

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self._staging = self.root / STAGING
        self._partial = self.root / PARTIAL
        for folder in (self.root, self._staging, self._partial):
            folder.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    # -- helpers ---------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _makedirs(self, folder: Path) -> None:
        """Create missing parents of a key, fsyncing each new entry's parent."""
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for new in reversed(missing):
            # Another writer may create the same folder at the same moment; that's fine.
            with suppress(FileExistsError):
                new.mkdir()
            _fsync_dir(new.parent)

    def _temp_file(self, folder: Path | None = None) -> tuple[BinaryIO, Path]:
        fd, name = tempfile.mkstemp(dir=folder or self._staging, prefix="tmp-", suffix=".tmp")
        return os.fdopen(fd, "wb"), Path(name)

    def _publish(self, tmp: Path, key: str) -> StoredObject:
        """Link a finished, fsynced file under its key without ever replacing one."""
        target = self._path(key)
        self._makedirs(target.parent)
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise ObjectExists(key) from None
        except NotADirectoryError:
            # A key "a" exists as a file, so "a/b" can't be created: the name is taken.
            raise ObjectExists(key) from None
        _fsync_dir(target.parent)
        tmp.unlink()
        return StoredObject(key=key, size=target.stat().st_size)

    def _write_temp(
        self, fileobj: ReadableStream, *, mode: int | None = None, foreign: bool = True
    ) -> Path:
        """Stream into a fsynced temp file in staging; remove it if anything fails."""
        out, tmp = self._temp_file()
        try:
            with out:
                copy_stream(fileobj, out, foreign=foreign)
                if mode is not None:
                    os.fchmod(out.fileno(), mode)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    # -- objects ---------------------------------------------------------------------------

    def save(self, key: str, fileobj: ReadableStream) -> StoredObject:
        """Store a stream under a new key, reading it in chunks."""
        validate_key(key)
        if self.exists(key):
            raise ObjectExists(key)
        with os_errors("save the file"):
            tmp = self._write_temp(fileobj)
            try:
                return self._publish(tmp, key)
            finally:
                tmp.unlink(missing_ok=True)

    def adopt(self, key: str, path: Path) -> StoredObject:
        """Take ownership of a finished local file: fsync it and link it under the key."""
        validate_key(key)
        path = Path(path)
        with os_errors("store the file"):
            with path.open("rb") as src:
                os.fsync(src.fileno())
            try:
                return self._publish(path, key)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
            # The file lives on another filesystem, so a link is impossible: copy it instead.
            with path.open("rb") as src:
                stored = self.save(key, src)
            path.unlink()
            return stored

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        """Open an object for streaming reads."""
        path = self._path(key)
        try:
            handle = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        with handle:
            yield handle

    def iter_range(
        self, key: str, start: int, end: int, chunk_size: int = COPY_CHUNK_SIZE
    ) -> Iterator[bytes]:
        """Yield the bytes ``start..end`` (inclusive) of an object."""
        path = self._path(key)
        try:
            handle = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        try:
            end = check_range(start, end, os.fstat(handle.fileno()).st_size)
        except BaseException:
            handle.close()
            raise
        # Open eagerly (above) so a missing key or bad range fails before any response starts.
        return self._iter_file(handle, start, end, chunk_size)

    @staticmethod
    def _iter_file(handle: BinaryIO, start: int, end: int, chunk_size: int) -> Iterator[bytes]:
        with handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = handle.read(min(chunk_size, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        """Delete an object; deleting a missing key is not an error."""
        path = self._path(key)
        with os_errors("delete the file"):
            try:
                path.unlink()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                return
            _fsync_dir(path.parent)

    def exists(self, key: str) -> bool:
        """Whether an object is stored under the key."""
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        """The object's size in bytes."""
        try:
            info = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        if not stat.S_ISREG(info.st_mode):
            raise ObjectNotFound(key)
        return info.st_size

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over stored keys starting with ``prefix``, in no particular order."""
        validate_prefix(prefix)
        # Start the walk at the deepest folder the prefix names; filter the rest by string.
        folder, _, _ = prefix.rpartition("/")
        start = self.root / folder if folder else self.root
        for dirpath, dirnames, filenames in os.walk(start):
            # Skip dot-folders (staging, partial uploads) and dot-files (.gitkeep).
            dirnames[:] = [name for name in dirnames if not name.startswith(".")]
            relative = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                if name.startswith("."):
                    continue
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    yield key

    def staging_dir(self) -> Path:
        """``<root>/.staging``: on the store's filesystem, so ``adopt()`` is a link."""
        self._staging.mkdir(exist_ok=True)
        return self._staging

    def presigned_url(
        self, key: str, *, filename: str, content_type: str, inline: bool, expires_in: int
    ) -> str | None:
        """None: the app streams local files itself."""
        validate_key(key)
        return None

    def copy_frozen(self, key: str, frozen_key: str) -> StoredObject:
        """Copy an object to a new, read-only file (mode 0444) under ``frozen_key``."""
        validate_key(frozen_key)
        if self.exists(frozen_key):
            raise ObjectExists(frozen_key)
        with self.open(key) as src, os_errors("copy the file"):
            tmp = self._write_temp(src, mode=0o444, foreign=False)
            try:
                return self._publish(tmp, frozen_key)
            finally:
                tmp.unlink(missing_ok=True)

    # -- resumable uploads -----------------------------------------------------------------
    # Parts live in <root>/.partial/<upload_id>/ as "<number>-<md5>.part": the name carries
    # the ETag, so replacing a part is one atomic rename and a stale ETag given to
    # complete_multipart() names a file that no longer exists, as on S3.

    def _upload_dir(self, upload_id: str, key: str | None = None) -> Path:
        try:
            canonical = uuid.UUID(hex=upload_id).hex
        except (ValueError, TypeError, AttributeError):
            raise UploadNotFound(str(upload_id)) from None
        folder = self._partial / canonical
        try:
            meta = json.loads((folder / _UPLOAD_META).read_text("utf-8"))
        except (FileNotFoundError, NotADirectoryError, ValueError):
            raise UploadNotFound(upload_id) from None
        if key is not None and meta.get("key") != key:
            raise UploadNotFound(upload_id)
        return folder

    def begin_multipart(self, key: str, *, checksums: bool = False) -> str:
        """Start a resumable upload to a new key and return its upload id (``checksums`` is
        for backends clients send parts to directly; here every part passes through the app)."""
        validate_key(key)
        if self.exists(key):
            raise ObjectExists(key)
        upload_id = uuid.uuid4().hex
        folder = self._partial / upload_id
        meta = {"key": key, "started_at": datetime.now(UTC).isoformat()}
        with os_errors("start the upload"):
            folder.mkdir(parents=True)
            (folder / _UPLOAD_META).write_text(json.dumps(meta), "utf-8")
        return upload_id

    @staticmethod
    def _parts_in(folder: Path) -> dict[int, list[Path]]:
        found: dict[int, list[Path]] = {}
        for path in folder.glob(f"*{_PART_SUFFIX}"):
            number, _, _ = path.stem.partition("-")
            if number.isdigit():
                found.setdefault(int(number), []).append(path)
        return found

    def put_part(
        self, upload_id: str, key: str, part_number: int, fileobj: ReadableStream
    ) -> UploadedPart:
        """Store (or replace) one numbered part; a failed transfer leaves no part behind."""
        validate_part_number(part_number)
        folder = self._upload_dir(upload_id, key)
        with os_errors("store the part"):
            out, tmp = self._temp_file(folder)
            try:
                with out:
                    size, etag = copy_stream(fileobj, out, md5=True)
                    out.flush()
                    os.fsync(out.fileno())
                final = folder / f"{part_number:05d}-{etag}{_PART_SUFFIX}"
                os.replace(tmp, final)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            # Older versions of this part (different content, so different name) go.
            for old in self._parts_in(folder).get(part_number, []):
                if old != final:
                    old.unlink(missing_ok=True)
        return UploadedPart(part_number=part_number, etag=etag, size=size)

    def list_parts(self, upload_id: str, key: str) -> list[UploadedPart]:
        """The parts stored so far, by part number."""
        folder = self._upload_dir(upload_id, key)
        parts = []
        for number, paths in sorted(self._parts_in(folder).items()):
            newest = max(paths, key=lambda path: path.stat().st_mtime_ns)
            etag = newest.stem.partition("-")[2]
            parts.append(UploadedPart(number, etag, newest.stat().st_size))
        return parts

    def complete_multipart(
        self, upload_id: str, key: str, parts: Sequence[UploadedPart]
    ) -> StoredObject:
        """Concatenate the parts into staging (streaming), publish under ``key``, clean up."""
        validate_key(key)
        folder = self._upload_dir(upload_id, key)
        files = []
        for part in parts:
            validate_part_number(part.part_number)
            # The ETag becomes part of a file name: accept only what put_part() hands out.
            if not _ETAG_RE.fullmatch(part.etag):
                raise InvalidPart(f"Part {part.part_number} has an invalid ETag {part.etag!r}.")
            path = folder / f"{part.part_number:05d}-{part.etag}{_PART_SUFFIX}"
            if not path.is_file():
                raise InvalidPart(
                    f"Part {part.part_number} with ETag {part.etag!r} was not uploaded "
                    "(or was replaced); upload it again."
                )
            files.append(path)
        # Trust the sizes on disk, not the caller's, for the minimum-size rule.
        actual = [
            UploadedPart(part.part_number, part.etag, path.stat().st_size)
            for part, path in zip(parts, files, strict=True)
        ]
        ordered = check_part_sizes(actual)
        by_number = {part.part_number: path for part, path in zip(actual, files, strict=True)}
        if self.exists(key):
            raise ObjectExists(key)
        with os_errors("assemble the upload"):
            out, tmp = self._temp_file()
            try:
                with out:
                    for part in ordered:
                        with by_number[part.part_number].open("rb") as src:
                            copy_stream(src, out, foreign=False)
                    out.flush()
                    os.fsync(out.fileno())
                stored = self._publish(tmp, key)
            finally:
                tmp.unlink(missing_ok=True)
            shutil.rmtree(folder, ignore_errors=True)
        return stored

    def abort_multipart(self, upload_id: str, key: str) -> None:
        """Throw away a resumable upload and its parts; unknown ids are ignored."""
        try:
            folder = self._upload_dir(upload_id, key)
        except UploadNotFound:
            return
        with os_errors("abort the upload"):
            shutil.rmtree(folder)

    def list_multipart(self) -> Iterator[MultipartUpload]:
        """Iterate over unfinished resumable uploads with their start times."""
        for folder in self._partial.iterdir():
            try:
                meta = json.loads((folder / _UPLOAD_META).read_text("utf-8"))
                started_at = datetime.fromisoformat(meta["started_at"])
                key = meta["key"]
            except (OSError, ValueError, KeyError):
                # Being created or aborted right now; the next sweep will see it settled.
                continue
            yield MultipartUpload(upload_id=folder.name, key=key, started_at=started_at)
