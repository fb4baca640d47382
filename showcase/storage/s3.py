"""Storage in an S3 bucket (AWS, MinIO, Ceph, … or moto in tests) through boto3.

Write-once is enforced by S3 itself: every PutObject, CopyObject and CompleteMultipartUpload
this backend sends for its own keys carries ``If-None-Match: *`` (S3 conditional writes), added
by a botocore event hook because boto3's managed transfers don't pass that argument through.
A ``head_object`` check first gives an early, cheap refusal; the header closes the race.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from showcase.errors import ShowcaseError, StorageUnavailable

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
    content_disposition,
    copy_stream,
    os_errors,
    validate_key,
    validate_part_number,
    validate_prefix,
)

log = logging.getLogger(__name__)

#: Files above 64 MiB go up as a multipart upload of 16 MiB parts, four at a time: a 2 GiB
#: recording is 128 parts, well under S3's 10,000, and memory stays bounded.
DEFAULT_TRANSFER_CONFIG = TransferConfig(
    multipart_threshold=64 * 1024 * 1024,
    multipart_chunksize=16 * 1024 * 1024,
    max_concurrency=4,
)

_NOT_FOUND = {"NoSuchKey", "NotFound", "404"}
_EXISTS = {"PreconditionFailed", "412", "ConditionalRequestConflict"}
_WRITE_OPERATIONS = ("PutObject", "CopyObject", "CompleteMultipartUpload")


def _error_code(exc: BaseException) -> str:
    """The S3 error code of a ClientError ("NoSuchKey", "404", …), else ""."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


class _BodyReader(io.RawIOBase):
    """A raw stream over botocore's StreamingBody, so callers get a real buffered file."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._body.read(len(buffer))
        except BotoCoreError as exc:
            raise StorageUnavailable(
                "The connection to file storage dropped while reading; please try again."
            ) from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Storage:
    """Write-once storage in an S3 bucket, optionally under a key prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        client: Any | None = None,
        *,
        staging_dir: str | os.PathLike[str] | None = None,
        transfer_config: TransferConfig | None = None,
        frozen_retention_days: int | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("S3Storage needs a bucket name")
        self.bucket = bucket
        prefix = prefix.strip("/")
        self.prefix = f"{validate_prefix(prefix)}/" if prefix else ""
        if client is None:
            # Without explicit keys boto3's usual chain applies (env, instance role, …).
            session = boto3.session.Session(
                aws_access_key_id=access_key or None,
                aws_secret_access_key=secret_key or None,
                region_name=region or None,
            )
            client = session.client(
                "s3",
                endpoint_url=endpoint_url or None,
                config=Config(
                    signature_version="s3v4",
                    # Custom endpoints (MinIO, moto) rarely have wildcard DNS for buckets.
                    s3={"addressing_style": "path" if endpoint_url else "auto"},
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=60,
                    # Reads are hashed by Showcase itself (SHA-256 of every file, checked against
                    # the row). botocore's own check of a download would compare a multipart
                    # object's composite checksum with the whole file's, which some S3 servers
                    # (moto) send without the "-<parts>" that tells them apart.
                    response_checksum_validation="when_required",
                ),
            )
        self.client = client
        self._upload_origin: str | None = None
        self.transfer_config = transfer_config or DEFAULT_TRANSFER_CONFIG
        self.frozen_retention_days = frozen_retention_days
        self._staging = Path(staging_dir) if staging_dir else None
        self._owns_staging = False
        self._staging_lock = threading.Lock()
        self._object_lock: bool | None = None
        # One hook per bucket/prefix, even if several instances share a client.
        for operation in _WRITE_OPERATIONS:
            self.client.meta.events.register(
                f"before-parameter-build.s3.{operation}",
                self._add_if_none_match,
                unique_id=f"showcase-write-once-{bucket}-{self.prefix}-{operation}",
            )

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def close(self) -> None:
        """Remove the private staging directory, if this instance made one."""
        if self._owns_staging and self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    # -- helpers ---------------------------------------------------------------------------

    def _add_if_none_match(self, params: dict[str, Any], **_: Any) -> None:
        """Make every write to our keys conditional on the key being free (write-once)."""
        if params.get("Bucket") == self.bucket and str(params.get("Key", "")).startswith(
            self.prefix
        ):
            params.setdefault("IfNoneMatch", "*")

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    @contextmanager
    def _errors(self, action: str, key: str = "", upload_id: str = "") -> Iterator[None]:
        """Translate botocore failures inside the block into the ShowcaseError family."""
        try:
            yield
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            raise self._translate(exc, action, key, upload_id) from exc

    def _translate(
        self, exc: Exception, action: str, key: str = "", upload_id: str = ""
    ) -> Exception:
        """The ShowcaseError (or ValueError) that a botocore failure means to our callers."""
        error = exc
        # boto3's upload_file() hides the ClientError behind S3UploadFailedError.
        if isinstance(exc, S3UploadFailedError) and isinstance(exc.__context__, ClientError):
            error = exc.__context__
        code = _error_code(error)
        if code in _NOT_FOUND and key:
            return ObjectNotFound(key)
        if code == "NoSuchUpload":
            return UploadNotFound(upload_id)
        if code in _EXISTS and key:
            return ObjectExists(key)
        if code == "EntityTooSmall":
            return InvalidPart(
                "Every part but the last must be at least 5 MiB; upload larger parts."
            )
        if code in ("InvalidPart", "InvalidPartOrder"):
            return InvalidPart("A part was not uploaded (or was replaced); upload it again.")
        if code == "InvalidRange":
            return ValueError(f"byte range not satisfiable for {key!r}")
        log.warning("S3 %s failed for %s/%s%s: %s", action, self.bucket, self.prefix, key, exc)
        return StorageUnavailable(
            f"File storage is unavailable: could not {action} ({code or type(error).__name__}). "
            "Please try again in a few minutes."
        )

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            with self._errors("check the file", key):
                return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ObjectNotFound:
            return None

    def _spool(self, fileobj: ReadableStream) -> Path:
        """Copy a stream into a staging file, so boto3 can upload it from disk in parts."""
        fd, name = tempfile.mkstemp(dir=self.staging_dir(), prefix="tmp-", suffix=".tmp")
        path = Path(name)
        try:
            with os_errors("stage the upload"), os.fdopen(fd, "wb") as out:
                copy_stream(fileobj, out)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    # -- objects ---------------------------------------------------------------------------

    def save(self, key: str, fileobj: ReadableStream) -> StoredObject:
        """Store a stream under a new key, spooling it to staging so memory stays small."""
        validate_key(key)
        if self._head(key) is not None:
            raise ObjectExists(key)
        tmp = self._spool(fileobj)
        try:
            return self.adopt(key, tmp)
        finally:
            tmp.unlink(missing_ok=True)

    def adopt(self, key: str, path: Path) -> StoredObject:
        """Upload a finished local file (multipart when large), then delete it."""
        validate_key(key)
        path = Path(path)
        size = path.stat().st_size
        if self._head(key) is not None:
            raise ObjectExists(key)
        with self._errors("save the file", key):
            self.client.upload_file(
                str(path), self.bucket, self._key(key), Config=self.transfer_config
            )
        path.unlink()
        return StoredObject(key=key, size=size)

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        """Open an object as a buffered stream over the HTTP body; nothing is read ahead."""
        with self._errors("read the file", key):
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        with io.BufferedReader(_BodyReader(response["Body"]), COPY_CHUNK_SIZE) as stream:
            yield stream

    def iter_range(
        self, key: str, start: int, end: int, chunk_size: int = COPY_CHUNK_SIZE
    ) -> Iterator[bytes]:
        """Yield the bytes ``start..end`` (inclusive) of an object with one ranged GET."""
        if start < 0 or end < start:
            raise ValueError(f"invalid byte range {start}-{end}")
        with self._errors("read the file", key):
            response = self.client.get_object(
                Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{end}"
            )
        # The request is made eagerly so a missing key fails before a response starts.
        return self._iter_body(response["Body"], chunk_size, key)

    def _iter_body(self, body: Any, chunk_size: int, key: str) -> Iterator[bytes]:
        try:
            with self._errors("read the file", key):
                yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        """Delete an object; deleting a missing key is not an error."""
        with self._errors("delete the file", key):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        """Whether an object is stored under the key."""
        return self._head(key) is not None

    def size(self, key: str) -> int:
        """The object's size in bytes."""
        head = self._head(key)
        if head is None:
            raise ObjectNotFound(key)
        return int(head["ContentLength"])

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over stored keys starting with ``prefix``, a page of 1000 at a time."""
        validate_prefix(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        with self._errors("list files"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :]

    def staging_dir(self) -> Path:
        """A private local temp directory for spooling uploads."""
        with self._staging_lock:
            if self._staging is None:
                self._staging = Path(tempfile.mkdtemp(prefix="showcase-staging-"))
                self._owns_staging = True
            self._staging.mkdir(parents=True, exist_ok=True)
            return self._staging

    def presigned_url(
        self, key: str, *, filename: str, content_type: str, inline: bool, expires_in: int
    ) -> str | None:
        """A presigned GET that makes S3 answer with our Content-Type and Disposition."""
        with self._errors("sign a download link", key):
            return self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": self._key(key),
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": content_disposition(filename, inline=inline),
                },
                ExpiresIn=expires_in,
            )

    def _bucket_has_object_lock(self) -> bool:
        """Whether the bucket has Object Lock enabled (asked once, then remembered)."""
        if self._object_lock is None:
            action = "read the bucket's Object Lock settings"
            try:
                config = self.client.get_object_lock_configuration(Bucket=self.bucket)
            except ClientError as exc:
                if _error_code(exc) != "ObjectLockConfigurationNotFoundError":
                    raise self._translate(exc, action) from exc
                config = {}
            except BotoCoreError as exc:
                raise self._translate(exc, action) from exc
            status = config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
            self._object_lock = status == "Enabled"
            if not self._object_lock:
                with self._errors("read the bucket's versioning settings"):
                    versioning = self.client.get_bucket_versioning(Bucket=self.bucket)
                if versioning.get("Status") != "Enabled":
                    log.warning(
                        "Bucket %s has neither Object Lock nor versioning: frozen copies are "
                        "write-once but can still be deleted for good.",
                        self.bucket,
                    )
        return self._object_lock

    def copy_frozen(self, key: str, frozen_key: str) -> StoredObject:
        """Copy server-side to a new key; under a legal hold when the bucket has Object Lock.

        The bucket's default retention, if it has one, applies to the copy as well; so does
        ``frozen_retention_days`` (GOVERNANCE mode). Without Object Lock, a versioned bucket
        keeps every version, and write-once keeps the key from being replaced.
        """
        validate_key(frozen_key)
        source = self._head(key)
        if source is None:
            raise ObjectNotFound(key)
        if self._head(frozen_key) is not None:
            raise ObjectExists(frozen_key)
        locked = self._bucket_has_object_lock()
        with self._errors("copy the file", frozen_key):
            # The managed copy switches to a multipart copy for objects over 5 GiB.
            self.client.copy(
                {"Bucket": self.bucket, "Key": self._key(key)},
                self.bucket,
                self._key(frozen_key),
                Config=self.transfer_config,
            )
        if locked:
            self._lock(frozen_key)
        return StoredObject(key=frozen_key, size=int(source["ContentLength"]))

    def _lock(self, key: str) -> None:
        """Put a legal hold (and the configured retention) on the current version of a key."""
        # Set after the copy rather than as copy arguments: S3 wants a checksum header on
        # writes that carry lock settings, which a body-less CopyObject can't give. The key
        # is write-once, so its current version is the copy just made.
        target = {"Bucket": self.bucket, "Key": self._key(key)}
        try:
            with self._errors("lock the frozen copy", key):
                # A legal hold has no end date: it lasts until someone allowed to lift it does.
                self.client.put_object_legal_hold(**target, LegalHold={"Status": "ON"})
                if self.frozen_retention_days:
                    until = datetime.now(UTC) + timedelta(days=self.frozen_retention_days)
                    self.client.put_object_retention(
                        **target, Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}
                    )
        except StorageUnavailable:
            # An unlocked "frozen" copy must not be left behind looking locked.
            with suppress(ShowcaseError):
                self.delete(key)
            raise

    # -- resumable uploads -----------------------------------------------------------------

    #: Clients may send a multipart upload's parts to S3 themselves (presigned part URLs).
    direct_uploads = True

    def begin_multipart(self, key: str, *, checksums: bool = False) -> str:
        """Start a native S3 multipart upload to a new key; ``checksums`` makes S3 require
        and check each part's SHA-256 (direct uploads, whose parts never pass through us)."""
        validate_key(key)
        if self._head(key) is not None:
            raise ObjectExists(key)
        extra = {"ChecksumAlgorithm": "SHA256"} if checksums else {}
        with self._errors("start the upload", key):
            response = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), **extra
            )
        return str(response["UploadId"])

    @property
    def upload_origin(self) -> str:
        """The origin (scheme://host[:port]) presigned URLs point at: a page that sends parts
        there must allow it in its Content-Security-Policy."""
        if self._upload_origin is None:
            url = self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self._key("probe")}
            )
            parts = urlsplit(url)
            self._upload_origin = f"{parts.scheme}://{parts.netloc}"
        return self._upload_origin

    def presign_part(
        self, upload_id: str, key: str, part_number: int, sha256_b64: str, expires_in: int
    ) -> str:
        """A URL the client PUTs one part to, with the header ``x-amz-checksum-sha256`` set to
        ``sha256_b64``: the checksum is part of the signature, so S3 refuses the part if its
        bytes do not match (or the header is changed)."""
        validate_part_number(part_number)
        validate_key(key)
        with self._errors("prepare the part's address", key, upload_id):
            return str(
                self.client.generate_presigned_url(
                    "upload_part",
                    Params={
                        "Bucket": self.bucket,
                        "Key": self._key(key),
                        "UploadId": upload_id,
                        "PartNumber": part_number,
                        "ChecksumSHA256": sha256_b64,
                    },
                    ExpiresIn=expires_in,
                )
            )

    def copy_to(self, key: str, new_key: str) -> StoredObject:
        """Copy an object to a new key inside S3 (a multipart copy when large): the bytes never
        pass through the app."""
        validate_key(key)
        validate_key(new_key)
        if self._head(new_key) is not None:
            raise ObjectExists(new_key)
        with self._errors("copy the file", key):
            self.client.copy(
                {"Bucket": self.bucket, "Key": self._key(key)},
                self.bucket,
                self._key(new_key),
                Config=self.transfer_config,
            )
        return StoredObject(key=new_key, size=self.size(new_key))

    def _check_upload(self, upload_id: str, key: str, action: str) -> None:
        """Raise UploadNotFound unless the upload is open (one cheap ListParts call)."""
        # S3 itself would answer NoSuchUpload later; asking first avoids reading a part from
        # the client in vain, and gives a clean answer where S3 clones (moto) answer 500.
        with self._errors(action, key, upload_id):
            self.client.list_parts(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id, MaxParts=1
            )

    def put_part(
        self, upload_id: str, key: str, part_number: int, fileobj: ReadableStream
    ) -> UploadedPart:
        """Upload one part; it is spooled to disk first because S3 needs its length."""
        validate_part_number(part_number)
        validate_key(key)
        # Check the upload is still open before taking the part's bytes from the client.
        self._check_upload(upload_id, key, "store the part")
        tmp = self._spool(fileobj)
        try:
            size = tmp.stat().st_size
            with tmp.open("rb") as body, self._errors("store the part", key, upload_id):
                response = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=self._key(key),
                    UploadId=upload_id,
                    PartNumber=part_number,
                    Body=body,
                )
        finally:
            tmp.unlink(missing_ok=True)
        return UploadedPart(part_number, str(response["ETag"]).strip('"'), size)

    def list_parts(self, upload_id: str, key: str) -> list[UploadedPart]:
        """The parts S3 holds so far, by part number."""
        paginator = self.client.get_paginator("list_parts")
        parts = []
        with self._errors("list the uploaded parts", key, upload_id):
            for page in paginator.paginate(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
            ):
                for item in page.get("Parts", []):
                    etag = str(item["ETag"]).strip('"')
                    parts.append(UploadedPart(int(item["PartNumber"]), etag, int(item["Size"])))
        return sorted(parts, key=lambda part: part.part_number)

    def complete_multipart(
        self, upload_id: str, key: str, parts: Sequence[UploadedPart]
    ) -> StoredObject:
        """Ask S3 to join the parts; refused if the key was taken meanwhile."""
        validate_key(key)
        ordered = check_part_sizes(parts)
        self._check_upload(upload_id, key, "finish the upload")
        with self._errors("finish the upload", key, upload_id):
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self._key(key),
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [
                        {
                            "PartNumber": part.part_number,
                            "ETag": f'"{part.etag}"',
                            **(
                                {"ChecksumSHA256": part.checksum_sha256}
                                if part.checksum_sha256
                                else {}
                            ),
                        }
                        for part in ordered
                    ]
                },
            )
        return StoredObject(key=key, size=self.size(key))

    def abort_multipart(self, upload_id: str, key: str) -> None:
        """Abort the upload so S3 frees its parts; unknown ids are ignored."""
        try:
            with self._errors("abort the upload", key, upload_id):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
                )
        except (UploadNotFound, ObjectNotFound):
            return

    def list_multipart(self) -> Iterator[MultipartUpload]:
        """Iterate over unfinished uploads under our prefix, with their start times."""
        paginator = self.client.get_paginator("list_multipart_uploads")
        with self._errors("list unfinished uploads"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Uploads", []):
                    yield MultipartUpload(
                        upload_id=item["UploadId"],
                        key=item["Key"][len(self.prefix) :],
                        started_at=item["Initiated"],
                    )
