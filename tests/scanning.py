"""A private clamd for tests and benchmarks: Debian's clamav-daemon with a one-signature database.

No signature download is possible on the test machines, so instead of freshclam's databases
clamd loads a database written here with a single body signature for the EICAR test file.
The EICAR string itself is put together at run time, so the repository never holds the test
virus verbatim (and no scanner quarantines a checkout of it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from showcase.storage.scan import ClamdScanner

CLAMD = os.environ.get("SHOWCASE_CLAMD_BINARY", "/usr/sbin/clamd")
#: The name clamd reports for our signature (it adds ".UNOFFICIAL": not from a signed database).
SIGNATURE = "Showcase-Test.EICAR"
FINDING = f"{SIGNATURE}.UNOFFICIAL"


def eicar() -> bytes:
    """The 68-byte EICAR anti-virus test file, assembled from harmless halves."""
    head = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
    tail = "-".join(("EICAR", "STANDARD", "ANTIVIRUS", "TEST", "FILE!$H+H*"))
    return (head + tail).encode("ascii")


def write_database(folder: Path) -> None:
    """A signature database that finds EICAR anywhere in a file (an .ndb body signature:
    name, target type 0 = any file, offset * = anywhere, the bytes in hex)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "showcase-test.ndb").write_text(f"{SIGNATURE}:0:*:{eicar().hex()}\n")


def clamd_missing_reason() -> str | None:
    """Why clamd cannot run here, or None."""
    if not (os.path.isfile(CLAMD) and os.access(CLAMD, os.X_OK)):
        return (
            f"{CLAMD} is not installed (Debian package clamav-daemon; scripts/test.sh installs it)"
        )
    return None


@contextlib.contextmanager
def running_clamd(stream_max_bytes: int) -> Iterator[str]:
    """Start clamd in the foreground on a unix socket in a temp folder; yield the socket path.

    ``stream_max_bytes`` becomes StreamMaxLength (the upload cap, as in production) and also
    MaxFileSize/MaxScanSize, so a file under the cap is scanned whole rather than passed unread.
    """
    reason = clamd_missing_reason()
    if reason:
        raise RuntimeError(reason)
    # A short path: unix socket paths are limited to about 100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))
    database = folder / "db"
    write_database(database)
    sock = folder / "clamd.sock"
    # ClamAV cannot scan files over 2 GB: it clamps the file and scan limits itself.
    limit = min(stream_max_bytes, 2 * 1024**3 - 1)
    config = folder / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"LocalSocket {sock}",
                f"DatabaseDirectory {database}",
                f"PidFile {folder / 'clamd.pid'}",
                f"TemporaryDirectory {folder}",
                f"StreamMaxLength {stream_max_bytes}",
                f"MaxFileSize {limit}",
                f"MaxScanSize {limit}",
                "LogFile " + str(folder / "clamd.log"),
                "LogTime yes",
                "",
            ]
        )
    )
    # No "User" line: clamd keeps the account it was started by (root in CI containers) and
    # can read the temp folder, where Debian's clamav user might not.
    log = (folder / "clamd.out").open("wb")
    process = subprocess.Popen(
        [CLAMD, "--foreground", f"--config-file={config}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        _wait_for_pong(str(sock), process, folder)
        yield str(sock)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_pong(sock: str, process: subprocess.Popen, folder: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = (folder / "clamd.out").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"clamd exited with status {process.returncode}:\n{output}")
        if ClamdScanner(socket=sock, timeout=5).ping():
            return
        time.sleep(0.1)
    raise RuntimeError(f"clamd did not answer PING on {sock} within {timeout:.0f} s")


def dead_socket(folder: Path) -> str:
    """A unix socket path where nothing listens (as when clamd is down)."""
    path = folder / "gone.sock"
    path.unlink(missing_ok=True)
    return str(path)
