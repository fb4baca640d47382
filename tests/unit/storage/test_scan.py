"""Virus scanning: the scanner against a real clamd (EICAR found, clean passes, clamd away or
silent fails closed), ingest() and assembled objects refused with nothing left, and the config."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import ProductionConfig
from showcase import ConfigurationError, create_app
from showcase.errors import MalwareFound, ScannerUnavailable
from showcase.storage import Storage, ingest
from showcase.storage.assemble import scan_stored
from showcase.storage.scan import ClamdScanner, NoScanner, build_scanner
from tests.scanning import FINDING, dead_socket, eicar, running_clamd

from .conftest import MIB, SAMPLES, leftovers

KEY = "evidence/2026/11/scanned"


@pytest.fixture
def clamd(clamd_socket: str) -> ClamdScanner:
    return ClamdScanner(socket=clamd_socket, timeout=30)


def test_eicar_is_found_and_named(clamd: ClamdScanner) -> None:
    with pytest.raises(MalwareFound) as refused:
        clamd.scan(io.BytesIO(eicar()))
    assert refused.value.status_code == 422 and refused.value.code == "malware_found"
    assert FINDING in refused.value.message and "nothing was stored" in refused.value.message


def test_eicar_deep_inside_a_large_file_is_found(clamd: ClamdScanner) -> None:
    # Past the first MiB and past the client's 1 KiB chunks: the whole stream is scanned.
    body = b"a" * (3 * MIB + 17) + eicar() + b"b" * 1000
    with pytest.raises(MalwareFound):
        clamd.scan(io.BytesIO(body))


def test_clean_files_pass(clamd: ClamdScanner) -> None:
    assert clamd.ping()
    for name in ("sample.pdf", "sample.docx", "sample.jpg"):
        with (SAMPLES / name).open("rb") as handle:
            clamd.scan(handle)


def test_clamd_unreachable_fails_closed(tmp_path: Path) -> None:
    scanner = ClamdScanner(socket=dead_socket(tmp_path), timeout=2)
    assert not scanner.ping()
    with pytest.raises(ScannerUnavailable) as refused:
        scanner.scan(io.BytesIO(b"hello"))
    assert refused.value.status_code == 503 and "nothing was stored" in refused.value.message
    # Nothing about the server's insides reaches the person uploading.
    assert "sock" not in refused.value.message


def test_clamd_over_tcp_unreachable_fails_closed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scanner = ClamdScanner(address=f"127.0.0.1:{port}", timeout=2)
    with pytest.raises(ScannerUnavailable):
        scanner.scan(io.BytesIO(b"hello"))


@pytest.fixture
def silent_server(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts connections and reads, but never answers (a hung clamd)."""
    path = str(tmp_path / "silent.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    held: list[socket.socket] = []

    def serve() -> None:
        try:
            while True:
                conn, _ = server.accept()
                held.append(conn)
                threading.Thread(target=lambda c=conn: _drain(c), daemon=True).start()
        except OSError:
            return

    threading.Thread(target=serve, daemon=True).start()
    yield path
    server.close()
    for conn in held:
        conn.close()


def _drain(conn: socket.socket) -> None:
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def test_clamd_that_never_answers_times_out_and_fails_closed(silent_server: str) -> None:
    scanner = ClamdScanner(socket=silent_server, timeout=0.5)
    with pytest.raises(ScannerUnavailable):
        scanner.scan(io.BytesIO(b"hello"))


def test_a_file_over_clamds_stream_limit_fails_closed(clamd_socket: str) -> None:
    # A clamd whose StreamMaxLength is below the upload cap must not let the rest through.
    with running_clamd(MIB) as small:
        scanner = ClamdScanner(socket=small, timeout=30)
        scanner.scan(io.BytesIO(b"a" * (MIB // 2)))
        with pytest.raises(ScannerUnavailable):
            scanner.scan(io.BytesIO(b"a" * (3 * MIB) + eicar()))


def test_a_failing_source_is_not_blamed_on_the_scanner(clamd: ClamdScanner) -> None:
    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        clamd.scan(Broken())


def test_scanning_off_reads_nothing() -> None:
    class Untouchable:
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("read")

    NoScanner().scan(Untouchable())


# ---- ingest and assembled objects ------------------------------------------------------------


def test_ingest_refuses_malware_and_keeps_nothing(storage: Storage, clamd: ClamdScanner) -> None:
    with pytest.raises(MalwareFound, match=FINDING):
        ingest(
            io.BytesIO(eicar()),
            filename="notes.txt",
            storage=storage,
            key=KEY,
            max_bytes=MIB,
            scanner=clamd,
        )
    assert leftovers(storage) == []


def test_ingest_with_clamd_away_keeps_nothing(storage: Storage, tmp_path: Path) -> None:
    with pytest.raises(ScannerUnavailable):
        ingest(
            io.BytesIO((SAMPLES / "sample.pdf").read_bytes()),
            filename="statement.pdf",
            storage=storage,
            key=KEY,
            max_bytes=MIB,
            scanner=ClamdScanner(socket=dead_socket(tmp_path), timeout=2),
        )
    assert leftovers(storage) == []


def test_ingest_stores_a_clean_scanned_file(storage: Storage, clamd: ClamdScanner) -> None:
    body = (SAMPLES / "sample.pdf").read_bytes()
    result = ingest(
        io.BytesIO(body),
        filename="statement.pdf",
        storage=storage,
        key=KEY,
        max_bytes=MIB,
        scanner=clamd,
    )
    assert result.size == len(body) and storage.exists(KEY)


def test_stored_object_is_streamed_to_the_scanner(storage: Storage, clamd: ClamdScanner) -> None:
    storage.save(KEY, io.BytesIO(b"x" * 100 + eicar()))
    with pytest.raises(MalwareFound, match=FINDING):
        scan_stored(storage, KEY, clamd)
    # Scanning never copies the object: nothing staged (the caller deletes the object).
    assert not any(storage.staging_dir().iterdir())
    clean = "evidence/2026/11/clean"
    storage.save(clean, io.BytesIO((SAMPLES / "sample.pdf").read_bytes()))
    scan_stored(storage, clean, clamd)


# ---- configuration ---------------------------------------------------------------------------


def test_build_scanner_from_config() -> None:
    assert isinstance(build_scanner({"AV": "off"}), NoScanner)
    unix = build_scanner({"AV": "clamd", "CLAMD_SOCKET": "/tmp/c.sock", "CLAMD_TIMEOUT": 5})
    assert isinstance(unix, ClamdScanner) and unix.socket == "/tmp/c.sock" and unix.timeout == 5
    tcp = build_scanner({"AV": "CLAMD", "CLAMD_SOCKET": "/tmp/c.sock", "CLAMD_ADDRESS": "av:3310"})
    assert isinstance(tcp, ClamdScanner) and tcp.socket is None and tcp.where == "av:3310"
    assert build_scanner({"AV": "clamd", "CLAMD_ADDRESS": "[::1]:3310"}).enabled
    for bad in ({"AV": "clamav"}, {"AV": None}, {"AV": ""}, {"AV": "clamd", "CLAMD_ADDRESS": "av"}):
        with pytest.raises(ValueError, match=r"AV|CLAMD_ADDRESS"):
            build_scanner(bad)


def test_production_scans_unless_explicitly_off(monkeypatch, tmp_path: Path) -> None:
    # Whatever else production insists on, with placeholder values.
    needed: dict[str, object] = {key: "x" * 40 for key in ProductionConfig.REQUIRED}
    needed["DATABASE_URL"] = f"sqlite:///{tmp_path / 'p.sqlite'}"
    production = create_app("production", UPLOAD_ROOT=str(tmp_path / "up"), **needed)
    assert production.extensions["showcase.scanner"].enabled
    off = create_app("production", UPLOAD_ROOT=str(tmp_path / "up"), AV="off", **needed)
    assert not off.extensions["showcase.scanner"].enabled
    development = create_app("development", UPLOAD_ROOT=str(tmp_path / "up"))
    assert not development.extensions["showcase.scanner"].enabled
    monkeypatch.setenv("SHOWCASE_AV", "clamd")
    monkeypatch.setenv("SHOWCASE_CLAMD_ADDRESS", "127.0.0.1:3310")
    from_env = create_app("development", UPLOAD_ROOT=str(tmp_path / "up"))
    assert from_env.extensions["showcase.scanner"].where == "127.0.0.1:3310"
    monkeypatch.setenv("SHOWCASE_AV", "maybe")
    with pytest.raises((ValueError, ConfigurationError)):
        create_app("development", UPLOAD_ROOT=str(tmp_path / "up"))
