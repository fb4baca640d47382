"""Export a large portfolio through the real server and compare with plainly reading its bytes.

    .venv/bin/python bench/export.py [--size-mib 1024] [--files 4] [--backends local,s3]

For each backend the script starts gunicorn (one worker, two threads) on a free loopback port
over a temp SQLite database migrated with ``showcase.migrate.upgrade``, and gives the demo
apprentice a portfolio of ``--files`` WAV recordings adding up to ``--size-mib`` MiB (stored
through ``showcase.evidence.services.add_evidence``, on local disk or on a moto S3 server the
script starts on loopback). Then, as the apprentice with a personal access token, it downloads
the subject-access export ``GET /api/v1/apprenticeships/<id>/export.zip`` (the same archive code
as a showcase's export), reading the body in 1 MiB pieces and throwing it away. It prints:

- MB/s of the export (MB = 10^6 bytes of archive; from the request to the last byte);
- the same stored bytes read plainly in the same run, right before each round: the files from
  disk in 1 MiB reads (page cache dropped first), or the objects from S3 with boto3 — and the
  export's speed as a share of that;
- the gunicorn worker's peak RSS growth: VmHWM from /proc after a warm-up export (a small
  portfolio) and after the big one.

Target: peak RSS growth ≤ 64 MB (the archive is never held or written anywhere).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.upload import (  # noqa: E402
    CHUNK,
    MB,
    MIB,
    drop_cache,
    gunicorn,
    moto_bucket,
    vm_hwm_kib,
)

PREPARE = """
import datetime as dt, io, sys, wave
from pathlib import Path
from showcase import create_app, db, migrate
from showcase.accounts import services as accounts
from showcase.accounts.models import OrganisationKind, Role
from showcase.db import get_database
from showcase.demo import DEMO_PASSWORD
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind
from showcase.portfolios import services as portfolios
from showcase.standards import services as standards
from showcase.standards.loaders import get_standard_or_404
from showcase.storage_ext import get_storage

files, size = int(sys.argv[1]), int(sys.argv[2])
source = Path(sys.argv[3])
app = create_app()
migrate.upgrade(get_database(app).engine)
with app.app_context():
    standards.import_bundled()
    employer = accounts.create_organisation(
        None, name="Northgate Retail Ltd", kind=OrganisationKind.EMPLOYER)
    provider = accounts.create_organisation(
        None, name="Brightpath Training", kind=OrganisationKind.TRAINING_PROVIDER)
    def person(email, name, role, org):
        return accounts.create_user(
            None, email=email, name=name, role=role, organisation=org, password=DEMO_PASSWORD)
    manager = person("manager@northgate.test", "Marcus Lee", Role.EMPLOYER_CONTACT, employer)
    tutor = person("tutor@brightpath.test", "Tara Singh", Role.TUTOR, provider)
    out = []
    for email, name, count, path in (
        ("ben@northgate.test", "Ben Turner", 1, source.with_name("small.wav")),
        ("amira@northgate.test", "Amira Khan", files, source),
    ):
        apprentice = person(email, name, Role.APPRENTICE, employer)
        item = portfolios.create_apprenticeship(
            None, apprentice=apprentice, standard=get_standard_or_404("ST0072"),
            start_date=dt.date.today() - dt.timedelta(days=400),
            line_manager=manager, tutor=tutor)
        for n in range(count):
            with path.open("rb") as stream:
                evidence.add_evidence(
                    apprentice, item, storage=get_storage(), stream=stream,
                    filename=f"recording {n + 1}.wav", max_bytes=10**11,
                    details=evidence.EvidenceDetails(kind=EvidenceKind.RECORDING))
        _token, plain = accounts.create_api_token(apprentice, name="bench")
        db.session.commit()
        keys = [e.file.key for e in evidence.list_evidence(item, evidence.EvidenceFilter())]
        out.append(f"{item.id} {plain} {','.join(keys)}")
    print("\\n".join(out))
"""


def write_wav(path: Path, size: int) -> None:
    """A WAV of silence-ish noise of ``size`` bytes (the sniffer accepts it), written in chunks."""
    import struct

    data = size - 44
    header = (
        b"RIFF"
        + struct.pack("<I", size - 8)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 44100, 88200, 2, 16)
        + b"data"
        + struct.pack("<I", data)
    )
    block = os.urandom(CHUNK)  # incompressible, like real recordings
    with path.open("wb") as out:
        out.write(header)
        left = data
        while left:
            out.write(block[: min(left, CHUNK)])
            left -= min(left, CHUNK)


def prepare(env: dict[str, str], files: int, each: int, source: Path) -> list[tuple]:
    write_wav(source, each)
    write_wav(source.with_name("small.wav"), 256 * 1024)
    out = subprocess.run(
        [sys.executable, "-c", PREPARE, str(files), str(each), str(source)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    source.unlink()
    rows = []
    for line in out.splitlines()[-2:]:
        ident, token, keys = line.split()
        rows.append((int(ident), token, keys.split(",")))
    return rows


def export(url: str, apprenticeship: int, token: str) -> tuple[int, float]:
    """Download the subject-access export, discarding it; (bytes, seconds)."""
    started = time.perf_counter()
    with requests.get(
        f"{url}/api/v1/apprenticeships/{apprenticeship}/export.zip",
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=900,
    ) as response:
        response.raise_for_status()
        length = int(response.headers["Content-Length"])
        received = sum(len(piece) for piece in response.iter_content(CHUNK))
    elapsed = time.perf_counter() - started
    assert received == length, (received, length)
    return received, elapsed


def read_local(root: Path, keys: list[str]) -> tuple[int, float]:
    paths = [root / key for key in keys]
    for path in paths:
        drop_cache(path)
    started, total = time.perf_counter(), 0
    for path in paths:
        with path.open("rb") as stream:
            while piece := stream.read(CHUNK):
                total += len(piece)
    return total, time.perf_counter() - started


def read_s3(env: dict[str, str], keys: list[str]) -> tuple[int, float]:
    import boto3

    client = boto3.session.Session(
        aws_access_key_id=env["SHOWCASE_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["SHOWCASE_S3_SECRET_ACCESS_KEY"],
        region_name=env["SHOWCASE_S3_REGION"],
    ).client("s3", endpoint_url=env["SHOWCASE_S3_ENDPOINT_URL"])
    started, total = time.perf_counter(), 0
    for key in keys:
        body = client.get_object(Bucket=env["SHOWCASE_S3_BUCKET"], Key=key)["Body"]
        for piece in body.iter_chunks(CHUNK):
            total += len(piece)
    return total, time.perf_counter() - started


def run_backend(name: str, folder: Path, extra: dict[str, str], args) -> dict:
    work = folder / name
    work.mkdir()
    env = {
        **os.environ,
        "SHOWCASE_ENV": "development",
        "SHOWCASE_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite'}",
        "SHOWCASE_UPLOAD_ROOT": str(work / "uploads"),
        "SHOWCASE_MAX_UPLOAD_BYTES": str(args.size_mib * MIB + MIB),
        **extra,
    }
    each = args.size_mib * MIB // args.files
    (small_id, small_token, _), (big_id, big_token, keys) = prepare(
        env, args.files, each, work / "recording.wav"
    )
    exports, reads = [], []
    with gunicorn(env, work / "gunicorn.log") as (url, pid):
        export(url, small_id, small_token)
        before = vm_hwm_kib(pid)
        for _ in range(args.repeat):
            reads.append(read_s3(env, keys) if name == "s3" else read_local(work / "uploads", keys))
            if name != "s3":
                for key in keys:
                    drop_cache(work / "uploads" / key)
            exports.append(export(url, big_id, big_token))
        after = vm_hwm_kib(pid)
    return {"exports": exports, "reads": reads, "growth_kib": after - before, "before": before}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="portfolio size (1024)")
    parser.add_argument("--files", type=int, default=4, help="recordings it is split into (4)")
    parser.add_argument("--backends", default="local,s3", help="comma-separated: local, s3")
    parser.add_argument("--repeat", type=int, default=2, help="rounds; the best counts (2)")
    parser.add_argument("--dir", default=None, help="work folder (default: a temp folder)")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="showcase-bench-export-", dir=args.dir) as name:
        folder = Path(name)
        print(f"portfolio: {args.files} WAV files, {args.size_mib * MIB / MB:.0f} MB in all")
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            with moto_bucket() if backend == "s3" else contextlib.nullcontext({}) as env:
                result = run_backend(backend, folder, env, args)
            size, took = min(result["exports"], key=lambda r: r[1])
            stored, read = min(result["reads"], key=lambda r: r[1])
            rate, plain = size / MB / took, stored / MB / read
            growth = result["growth_kib"] / 1024
            rounds = ", ".join(
                f"{s / MB / t:.0f}/{b / MB / r:.0f}"
                for (s, t), (b, r) in zip(result["exports"], result["reads"], strict=True)
            )
            print(
                f"{backend:6s} export {rate:7.1f} MB/s ({size / MB:.0f} MB zip)  plain read "
                f"{plain:7.1f} MB/s  export/read {rate / plain:6.1%}  peak RSS growth "
                f"{growth:5.1f} MB (target ≤ 64 MB, before {result['before'] / 1024:.0f} MB)  "
                f"[rounds export/read MB/s: {rounds}]"
            )
            failed = failed or growth > 64
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
