"""`flask storage reconcile`, `cleanup` and `purge`: keep blobs and rows in step.

Blobs are written before their rows commit, so a crash (or a kill -9) between the two leaves a
blob that no row names; this finds such orphans. The other way round — a row whose blob is
gone — means data loss, which only a person can judge: it is reported, never "fixed".
It lives in the evidence domain because it must read StoredFile; the storage package imports
no domain.

Temp files in the staging folder belong to uploads under way, or to workers that died mid-upload
(a kill -9 runs no cleanup). Both are reported at once; only those untouched for an hour are
removed, since a live upload keeps writing to its file. When storage can't be reached the command
says so in one line and exits with status 2, so monitoring can tell "down" from "data missing" (1).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click
from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from showcase import db
from showcase.errors import ShowcaseError, StorageUnavailable
from showcase.evidence.jobs import purge_files
from showcase.evidence.models import Evidence, StoredFile, UploadSession
from showcase.evidence.services import (
    abandoned_uploads,
    deleted_only_files,
    discard_upload,
    purge_blocker,
    purge_candidates,
)
from showcase.storage import LocalStorage, S3Storage, Storage
from showcase.storage_ext import get_storage

storage_cli = AppGroup(
    "storage",
    help="Find and clean up orphaned files, abandoned uploads and deleted evidence's files.",
)

#: An upload may be between its blob write and its commit; never touch anything this young.
GRACE = dt.timedelta(hours=1)
#: Copies made for submitted showcases are protected and never deleted from here.
FROZEN_PREFIX = "frozen/"


def _modified_at(storage: Storage, key: str) -> dt.datetime | None:
    """When the blob was written, or None when the backend can't say (then it counts as new)."""
    if isinstance(storage, LocalStorage):
        try:
            return dt.datetime.fromtimestamp((storage.root / key).stat().st_mtime, dt.UTC)
        except OSError:
            return None
    if isinstance(storage, S3Storage):
        try:
            head = storage.client.head_object(Bucket=storage.bucket, Key=storage.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None  # deleted while we looked
            raise StorageUnavailable(f"File storage refused to describe {key}: {exc}.") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"File storage is unreachable: {exc}.") from exc
        return head["LastModified"]
    return None


def _staging_files(storage: Storage, cutoff: float) -> tuple[list[Path], list[Path]]:
    """Temp files in staging: (untouched since ``cutoff``, younger ones)."""
    stale: list[Path] = []
    young: list[Path] = []
    for path in sorted(storage.staging_dir().iterdir()):
        try:
            if path.is_file():
                (stale if path.stat().st_mtime < cutoff else young).append(path)
        except FileNotFoundError:
            continue  # finished and removed while we looked
    return stale, young


@storage_cli.command("reconcile")
@click.option("--fix", is_flag=True, help="Delete orphaned blobs and stale temp files.")
def reconcile(fix: bool) -> None:
    """Report blobs without a row, rows without a blob, and temp files left in staging."""
    try:
        _reconcile(fix)
    except ShowcaseError as error:
        # Storage down (or refusing us): one line, no traceback; 2 is not 1 ("data missing").
        click.echo(f"storage reconcile: {error.message}", err=True)
        raise SystemExit(2) from None


def _reconcile(fix: bool) -> None:
    storage = get_storage()
    now = db.utcnow()
    # One pass over each side; a set of keys is small next to the files it names.
    rows = set(db.session.scalars(select(StoredFile.key)))
    # Keys of resumable uploads in progress are not orphans yet.
    pending = set(db.session.scalars(select(UploadSession.storage_key)))
    stored: set[str] = set()
    orphans: list[str] = []
    young = 0
    for key in storage.keys(prefix=""):
        stored.add(key)
        if key in rows or key in pending or key.startswith(FROZEN_PREFIX):
            continue
        modified = _modified_at(storage, key)
        if modified is None or now - modified < GRACE:
            young += 1
            continue
        orphans.append(key)
    missing = sorted(rows - stored)
    stale, in_progress = _staging_files(storage, time.time() - GRACE.total_seconds())

    for key in sorted(orphans):
        click.echo(f"orphan blob (no row): {key}")
        if fix:
            storage.delete(key)
    for key in missing:
        click.echo(f"MISSING blob for a row (not changed; restore it from backup): {key}")
    for path in stale:
        click.echo(f"stale temp file: {path}")
        if fix:
            path.unlink(missing_ok=True)
    for path in in_progress:
        # A live upload, or one whose worker was killed; --fix waits until it is an hour old.
        click.echo(f"temp file in progress or abandoned: {path}")
    action = "deleted" if fix else "found"
    click.echo(
        f"{len(orphans)} orphan blob(s) {action}, {len(missing)} row(s) with a missing blob, "
        f"{len(stale)} stale temp file(s) {'removed' if fix else 'found'}"
        + (f", {len(in_progress)} temp file(s) in progress or abandoned" if in_progress else "")
        + (f"; {young} blob(s) without a row skipped as under an hour old" if young else "")
        + "."
    )
    kept, kept_bytes = deleted_only_files()
    days = current_app.config["DELETED_EVIDENCE_RETENTION_DAYS"]
    if kept:
        click.echo(
            f"{kept} blob(s) kept only by deleted items ({kept_bytes} bytes; purged after {days} "
            "days by `flask storage purge`)."
        )
    if missing:
        # Data loss needs a person: make monitoring notice.
        raise SystemExit(1)


@storage_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
def purge(dry_run: bool) -> None:
    """Delete the files of evidence deleted more than DELETED_EVIDENCE_RETENTION_DAYS ago."""
    now = db.utcnow()
    days = current_app.config["DELETED_EVIDENCE_RETENTION_DAYS"]
    if dry_run:
        cutoff = now - dt.timedelta(days=float(days))
        count = size = 0
        for evidence_id in purge_candidates(cutoff):
            item = db.session.get(Evidence, evidence_id)
            assert item is not None and item.file is not None
            blocker = purge_blocker(item, cutoff, now)
            if blocker is None:
                count += 1
                size += item.file.size
                click.echo(
                    f"would purge evidence {item.id}: {item.file.key} ({item.file.size} bytes)"
                )
            else:
                click.echo(f"kept evidence {item.id}: {blocker}")
        click.echo(
            f"{count} file(s) ({size} bytes) would be purged (deleted over {days} days ago)."
        )
        return
    try:
        purged = purge_files(now)
    except ShowcaseError as error:
        click.echo(f"storage purge: {error.message}", err=True)
        raise SystemExit(2) from None
    for done in purged:
        click.echo(f"purged evidence {done.evidence_id}: {done.key} ({done.size} bytes)")
    click.echo(
        f"{len(purged)} file(s) ({sum(d.size for d in purged)} bytes) of evidence deleted over "
        f"{days} days ago purged."
    )


@storage_cli.command("cleanup")
def cleanup() -> None:
    """Abort resumable uploads untouched for PARTIAL_UPLOAD_MAX_AGE_HOURS and drop their rows."""
    storage = get_storage()
    hours = float(current_app.config["PARTIAL_UPLOAD_MAX_AGE_HOURS"])
    count = 0
    for upload in abandoned_uploads(hours):
        if upload.is_complete:
            db.session.delete(upload)  # bookkeeping only; its evidence stays
        else:
            discard_upload(upload, storage=storage)
            count += 1
        db.session.commit()
    # Multipart uploads whose session row never committed (a crash right after starting one).
    known = set(db.session.scalars(select(UploadSession.storage_upload_id)))
    cutoff = db.utcnow() - dt.timedelta(hours=hours)
    strays = 0
    for stray in list(storage.list_multipart()):
        if stray.upload_id not in known and stray.started_at < cutoff:
            storage.abort_multipart(stray.upload_id, stray.key)
            strays += 1
    click.echo(
        f"{count} abandoned upload(s) older than {hours:g} hours removed"
        + (f"; {strays} stray multipart upload(s) aborted" if strays else "")
        + "."
    )
