"""Upload a large file end to end through the real server and compare with the disk's ceiling.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--backends local,local-scanned,s3]

For each backend the script starts gunicorn (one worker) on a free loopback port over a temp
SQLite database migrated with ``showcase.migrate.upgrade`` and holding the demo people, and
uploads one file of ``--size-mib`` MiB (a WAV recording) through ``POST /api/v1/apprenticeships/
<id>/evidence`` as the demo apprentice with a personal access token; ``local-resumable`` sends it
through the resumable protocol in parts instead; ``local-form`` sends it as the upload page does
without script (a multipart form, signed in, with its CSRF token); ``local-scanned`` is ``local``
with every upload virus-scanned (``SHOWCASE_AV=clamd``) by a clamd the script starts as the tests do
(``tests/scanning.py``: Debian's clamav-daemon, a one-signature database, StreamMaxLength set to
the upload cap). The S3 backend talks to a moto server the script starts on loopback. It prints:

- MB/s for the upload (MB = 10^6 bytes; from the first byte sent to the 201 answer), best of
  ``--repeat`` rounds;
- the ratio to a ceiling measured in the same run on the same disk, right before each round: a
  plain copy of the same file with SHA-256 and fsync — what ingest must at least do (best of
  the rounds, as the disk's speed drifts);
- the gunicorn worker's peak RSS growth (VmHWM from /proc, after a warm-up upload and after
  the big one);
- with ``local`` and ``local-scanned`` both run, MB/s without and with scanning and their ratio.

Targets: ≥ 70% of the ceiling on local storage; peak RSS growth ≤ 64 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHUNK = 1024 * 1024
MB = 1_000_000
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_wav(path: Path, size: int) -> None:
    """A WAV file of ``size`` bytes (pseudo-random samples, so nothing compresses it away)."""
    data_len = size - 44
    header = b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 2, 48000, 48000 * 4, 4, 16)
    header += b"data" + struct.pack("<I", data_len)
    block = os.urandom(CHUNK)
    with path.open("wb") as out:
        out.write(header)
        remaining = data_len
        while remaining:
            piece = block[: min(CHUNK, remaining)]
            out.write(piece)
            remaining -= len(piece)


def ceiling(source: Path, folder: Path) -> float:
    """Seconds for copy + SHA-256 + fsync of ``source`` into ``folder`` (same disk)."""
    target = folder / "ceiling.copy"
    drop_cache(source)
    started = time.perf_counter()
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def drop_cache(path: Path) -> None:
    """Ask the kernel to forget the file's cached pages, so every run reads it the same way."""
    with path.open("rb") as handle:
        os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")


def worker_pid(master: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def prepare(folder: Path, env: dict[str, str]) -> tuple[int, str]:
    """Migrate a fresh database, add the demo apprentice; return (apprenticeship id, token)."""
    # The demo's people only, not its portfolios: the bench must not depend on demo content.
    script = """
from showcase import create_app, db, migrate
from showcase.accounts import services as accounts
from showcase.accounts.models import OrganisationKind, Role
from showcase.db import get_database
from showcase.demo import DEMO_PASSWORD
from showcase.portfolios import services as portfolios
from showcase.standards import services as standards
from showcase.standards.loaders import get_standard_or_404
import datetime as dt
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
    amira = person("amira@northgate.test", "Amira Khan", Role.APPRENTICE, employer)
    manager = person("manager@northgate.test", "Marcus Lee", Role.EMPLOYER_CONTACT, employer)
    item = portfolios.create_apprenticeship(
        None,
        apprentice=amira,
        standard=get_standard_or_404("ST0072"),
        start_date=dt.date.today() - dt.timedelta(days=400),
        line_manager=manager,
        tutor=person("tutor@brightpath.test", "Tara Singh", Role.TUTOR, provider),
    )
    _token, plain = accounts.create_api_token(amira, name="bench")
    db.session.commit()
    print(item.id, plain)
"""
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[-2]), out[-1]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "2",
        "--timeout",
        "900",
        "wsgi:app",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(log.read_text()[-2000:]) from None
                time.sleep(0.1)
        yield url, worker_pid(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def send_body(url: str, method: str, path: str, body, length: int, headers: dict) -> tuple:
    """One request streaming ``body`` in 1 MiB blocks; return (status, parsed JSON).

    http.client rather than requests: requests sends a file body in http.client's default
    8 KiB blocks, and the Python loop around 130,000 small sends per GiB made the client, not
    the server, the bottleneck being measured.
    """
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=900, blocksize=CHUNK)
    try:
        conn.request(method, path, body=body, headers={**headers, "Content-Length": str(length)})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, {"raw": data[:500]}


def upload_whole(url: str, apprenticeship: int, token: str, path: Path) -> dict:
    with path.open("rb") as body:
        status, answer = send_body(
            url,
            "POST",
            f"/api/v1/apprenticeships/{apprenticeship}/evidence",
            body,
            path.stat().st_size,
            {
                "Authorization": f"Bearer {token}",
                "X-Filename": urllib.parse.quote(path.name),
                "Content-Type": "application/octet-stream",
            },
        )
    if status != 201:
        raise RuntimeError(f"upload answered {status}: {answer}")
    return answer


class _Window:
    """A file-like view of ``length`` bytes of an open file, so requests streams a part."""

    def __init__(self, handle, length: int) -> None:
        self.handle = handle
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        chunk = self.handle.read(size)
        self.remaining -= len(chunk)
        return chunk

    def __len__(self) -> int:
        return self.remaining


class _FormBody:
    """A multipart form holding one file, read from disk as it is sent (never whole in
    memory): what a browser without script sends from the upload page."""

    BOUNDARY = "showcase-bench-boundary"

    def __init__(self, path: Path, csrf_token: str) -> None:
        b = self.BOUNDARY
        self.head = (
            f'--{b}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf_token}\r\n'
            f'--{b}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{b}--\r\n".encode()
        self.path = path
        self.length = len(self.head) + path.stat().st_size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
        yield self.tail


def _signed_in(url: str) -> tuple[str, str]:
    """Sign in as the demo apprentice through the form; (cookie header, CSRF token)."""
    from showcase.demo import DEMO_PASSWORD

    browser = requests.Session()
    page = browser.get(f"{url}/sign-in", timeout=60).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed = browser.post(
        f"{url}/sign-in",
        data={"csrf_token": token, "email": "amira@northgate.test", "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=60,
    )
    if signed.status_code != 302:
        raise RuntimeError(f"sign-in answered {signed.status_code}")
    page = browser.get(f"{url}/", timeout=60).text
    token = re.search(r'name="csrf_token"[^>]*content="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page
    )
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    return cookie, token.group(1)


#: url -> (cookie, CSRF token): signing in hashes the password with Argon2 (64 MiB of memory),
#: so it happens before the worker's peak memory is read, not inside the measured upload.
_SESSIONS: dict[str, tuple[str, str]] = {}


def upload_form(url: str, apprenticeship: int, _token: str, path: Path) -> dict:
    if url not in _SESSIONS:
        _SESSIONS[url] = _signed_in(url)
    cookie, csrf_token = _SESSIONS[url]
    body = _FormBody(path, csrf_token)
    status, answer = send_body(
        url,
        "POST",
        f"/apprenticeships/{apprenticeship}/evidence/upload",
        iter(body),
        body.length,
        {
            "Cookie": cookie,
            "Content-Type": f"multipart/form-data; boundary={body.BOUNDARY}",
            "Referer": url + "/",
        },
    )
    if status != 302:
        raise RuntimeError(f"form upload answered {status}: {answer}")
    return answer


def upload_direct(url: str, apprenticeship: int, token: str, path: Path) -> dict:
    """The direct mode: parts go to S3 by presigned URL, never through the app; the app joins
    them and checks the file once (read back from S3) before it becomes evidence."""
    import base64

    auth = {"Authorization": f"Bearer {token}"}
    size = path.stat().st_size
    created = requests.post(
        f"{url}/api/v1/apprenticeships/{apprenticeship}/direct-uploads",
        json={"filename": path.name, "size": size},
        headers=auth,
        timeout=60,
    )
    created.raise_for_status()
    upload = created.json()
    with path.open("rb") as handle:
        for number in range(1, upload["parts"] + 1):
            handle.seek((number - 1) * upload["part_size"])
            data = handle.read(upload["part_size"])
            checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
            target = requests.post(
                f"{url}{upload['url']}/parts/{number}",
                json={"sha256": checksum},
                headers=auth,
                timeout=60,
            ).json()
            where = urllib.parse.urlsplit(target["url"])
            status, answer = send_body(
                target["url"],
                "PUT",
                f"{where.path}?{where.query}",
                data,
                len(data),
                target["headers"],
            )
            if status != 200:
                raise RuntimeError(f"part {number}: {status} {answer}")
    done = requests.post(f"{url}{upload['complete_url']}", headers=auth, timeout=900)
    if done.status_code != 202:
        raise RuntimeError(f"complete answered {done.status_code}: {done.text[:300]}")
    answer = done.json()
    while answer["state"] == "checking":
        time.sleep(0.2)
        answer = requests.get(f"{url}{upload['url']}", headers=auth, timeout=60).json()
    if answer["state"] != "stored":
        raise RuntimeError(f"the direct upload was {answer['state']}: {answer['failure']}")
    return answer


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def upload_resumable(url: str, apprenticeship: int, token: str, path: Path) -> dict:
    auth = {"Authorization": f"Bearer {token}"}
    size = path.stat().st_size
    created = requests.post(
        f"{url}/api/v1/apprenticeships/{apprenticeship}/uploads",
        json={"filename": path.name, "size": size},
        headers=auth,
        timeout=60,
    )
    created.raise_for_status()
    session = created.json()
    offset = 0
    with path.open("rb") as handle:
        while offset < size:
            length = min(session["part_size"], size - offset)
            handle.seek(offset)
            status, answer = send_body(
                url,
                "PATCH",
                session["url"],
                _Window(handle, length),
                length,
                {**auth, "Upload-Offset": str(offset)},
            )
            if status not in (200, 201):
                raise RuntimeError(f"part at {offset}: {status} {answer}")
            offset = answer["offset"]
    return answer["evidence"]


def run_backend(
    name: str, source: Path, folder: Path, extra_env: dict[str, str], repeat: int
) -> dict:
    """Upload ``source`` ``repeat`` times, each right after a ceiling measurement."""
    work = folder / name
    work.mkdir()
    env = {
        **os.environ,
        "SHOWCASE_ENV": "development",
        "SHOWCASE_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite'}",
        "SHOWCASE_UPLOAD_ROOT": str(work / "uploads"),
        "SHOWCASE_MAX_UPLOAD_BYTES": str(source.stat().st_size + MIB),
        **extra_env,
    }
    apprenticeship, token = prepare(work, env)
    warmup = work / "warmup.wav"
    write_wav(warmup, 256 * 1024)
    send = {
        "local-resumable": upload_resumable,
        "local-form": upload_form,
        "s3-direct": upload_direct,
    }.get(name, upload_whole)
    uploads, ceilings = [], []
    with gunicorn(env, work / "gunicorn.log") as (url, pid):
        upload_whole(url, apprenticeship, token, warmup)
        if send is upload_form:
            send(url, apprenticeship, token, warmup)  # signs in, and warms the form path up
        before = vm_hwm_kib(pid)
        cpu = []
        for _ in range(repeat):
            ceilings.append(ceiling(source, folder))
            drop_cache(source)
            cpu_before = cpu_seconds(pid)
            started = time.perf_counter()
            send(url, apprenticeship, token, source)
            uploads.append(time.perf_counter() - started)
            cpu.append(cpu_seconds(pid) - cpu_before)
            # Keep the disk from filling up over the rounds (the rows don't matter here).
            shutil.rmtree(work / "uploads" / "evidence", ignore_errors=True)
        after = vm_hwm_kib(pid)
    shutil.rmtree(work / "uploads", ignore_errors=True)
    return {
        "uploads": uploads,
        "ceilings": ceilings,
        "rss_growth_kib": after - before,
        "cpu_seconds": min(cpu),
        "rss_before_kib": before,
    }


@contextlib.contextmanager
def moto_bucket() -> Iterator[dict[str, str]]:
    import boto3

    from tests.s3server import TEST_CREDENTIALS, moto_server

    with moto_server() as endpoint:
        boto3.session.Session(**TEST_CREDENTIALS).client("s3", endpoint_url=endpoint).create_bucket(
            Bucket="bench"
        )
        yield {
            "SHOWCASE_STORAGE_BACKEND": "s3",
            "SHOWCASE_S3_BUCKET": "bench",
            "SHOWCASE_S3_ENDPOINT_URL": endpoint,
            "SHOWCASE_S3_REGION": TEST_CREDENTIALS["region_name"],
            "SHOWCASE_S3_ACCESS_KEY_ID": TEST_CREDENTIALS["aws_access_key_id"],
            "SHOWCASE_S3_SECRET_ACCESS_KEY": TEST_CREDENTIALS["aws_secret_access_key"],
        }


@contextlib.contextmanager
def scanning_clamd(stream_max_bytes: int) -> Iterator[dict[str, str]]:
    """A private clamd, as the tests start it; the environment that makes the app use it."""
    from tests.scanning import running_clamd

    with running_clamd(stream_max_bytes) as sock:
        yield {
            "SHOWCASE_AV": "clamd",
            "SHOWCASE_CLAMD_SOCKET": sock,
            "SHOWCASE_CLAMD_TIMEOUT": "900",
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size (default 1024)")
    parser.add_argument(
        "--backends",
        default="local,local-scanned,s3",
        help="comma-separated: local, local-scanned, s3, s3-direct, local-resumable, local-form",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="uploads per backend; the best counts (default 3)"
    )
    parser.add_argument("--dir", default=None, help="work folder (default: a temp folder)")
    args = parser.parse_args()
    size = args.size_mib * MIB
    with tempfile.TemporaryDirectory(prefix="showcase-bench-", dir=args.dir) as name:
        folder = Path(name)
        source = folder / "recording.wav"
        write_wav(source, size)
        print(f"file: {size / MB:.0f} MB ({args.size_mib} MiB) WAV in {folder}")
        failed = False
        rates: dict[str, float] = {}
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend in ("s3", "s3-direct"):
                with moto_bucket() as env:
                    result = run_backend(backend, source, folder, env, args.repeat)
            elif backend == "local-scanned":
                with scanning_clamd(size + MIB) as env:
                    result = run_backend(backend, source, folder, env, args.repeat)
            else:
                result = run_backend(backend, source, folder, {}, args.repeat)
            # The disk's speed drifts (shared or virtual disks especially), so each upload
            # follows its own ceiling measurement and the best of each is compared.
            best, limit = min(result["uploads"]), min(result["ceilings"])
            rounds = ", ".join(
                f"{size / MB / u:.0f}/{size / MB / c:.0f}"
                for u, c in zip(result["uploads"], result["ceilings"], strict=True)
            )
            rate = rates[backend] = size / MB / best
            ratio = limit / best
            growth = result["rss_growth_kib"] / 1024
            target = " (target ≥ 70%)" if backend == "local" else ""
            cpu_per_gib = result["cpu_seconds"] / (size / 1024**3)
            print(
                f"{backend:16s} {rate:8.1f} MB/s  ceiling {size / MB / limit:6.1f} MB/s  "
                f"{ratio:6.1%} of ceiling{target}  peak RSS growth {growth:5.1f} MB "
                f"(target ≤ 64 MB)  app worker CPU {cpu_per_gib:5.2f} s/GiB  "
                f"[rounds upload/ceiling MB/s: {rounds}]"
            )
            if (backend == "local" and ratio < 0.70) or growth > 64:
                failed = True
        if "local" in rates and "local-scanned" in rates:
            print(
                f"virus scan: {rates['local']:.1f} MB/s without, {rates['local-scanned']:.1f} MB/s "
                f"with clamd ({rates['local-scanned'] / rates['local']:.1%} of the speed without)"
            )
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
