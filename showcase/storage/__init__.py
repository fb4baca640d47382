"""File storage: one small write-once ``Storage`` protocol, local and S3 backends, and ingest.

``build_storage(app.config)`` picks the backend; ``ingest()`` takes an upload stream into it;
``new_key()`` names a new blob and ``blobs_removed_on_failure()`` deletes the blobs of a write
that failed. Nothing imported here needs Flask, so the package is usable from scripts and tests
alone; ``serving`` (sending a stored file as a response) is imported on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    MIN_PART_SIZE,
    InvalidPart,
    MultipartUpload,
    ObjectExists,
    ObjectNotFound,
    ReadableStream,
    Storage,
    StoredObject,
    UploadedPart,
    UploadNotFound,
    blobs_removed_on_failure,
    content_disposition,
    new_key,
    validate_key,
)
from .ingest import IngestedFile, display_name, format_size, ingest, too_large
from .local import LocalStorage
from .s3 import S3Storage
from .sniff import ACCEPTED, FILE_TYPES, FileType, file_type, sniff

__all__ = [
    "ACCEPTED",
    "FILE_TYPES",
    "MIN_PART_SIZE",
    "FileType",
    "IngestedFile",
    "InvalidPart",
    "LocalStorage",
    "MultipartUpload",
    "ObjectExists",
    "ObjectNotFound",
    "ReadableStream",
    "S3Storage",
    "Storage",
    "StoredObject",
    "UploadNotFound",
    "UploadedPart",
    "blobs_removed_on_failure",
    "build_storage",
    "content_disposition",
    "display_name",
    "file_type",
    "format_size",
    "ingest",
    "new_key",
    "sniff",
    "too_large",
    "validate_key",
]


def build_storage(config: Mapping[str, Any]) -> Storage:
    """Build the backend that ``STORAGE_BACKEND`` names ("local" or "s3") from app config."""
    backend = str(config.get("STORAGE_BACKEND") or "local").strip().lower()
    if backend == "local":
        root = config.get("UPLOAD_ROOT")
        if not root:
            raise ValueError("STORAGE_BACKEND is 'local' but UPLOAD_ROOT is not set")
        return LocalStorage(root)
    if backend == "s3":
        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise ValueError("STORAGE_BACKEND is 's3' but S3_BUCKET is not set")
        retention = config.get("S3_FROZEN_RETENTION_DAYS")
        return S3Storage(
            bucket=bucket,
            prefix=config.get("S3_PREFIX") or "",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region=config.get("S3_REGION") or None,
            access_key=config.get("S3_ACCESS_KEY_ID") or None,
            secret_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            frozen_retention_days=int(retention) if retention else None,
        )
    raise ValueError(f"unknown STORAGE_BACKEND {backend!r}: use 'local' or 's3'")
