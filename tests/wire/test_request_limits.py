"""Body caps, a dead database and connection keep-alive, through a real gunicorn over sockets.

- A 19 MB JSON PATCH is answered 413 while most of it is still unsent: the worker refused it
  from its Content-Length and read none of it. A chunked one, never finished, is answered 413
  just past the cap.
- With PostgreSQL unreachable, a signed-in page is Showcase's own 503 page with Retry-After
  (it used to be gunicorn's bare 500: the error page itself queried the database).
- ``gunicorn.conf.py`` is what gunicorn loads: a client that pauses longer than gunicorn's
  2-second default on a kept-open connection still gets its answer; forwarded headers are
  trusted from nobody unless FORWARDED_ALLOW_IPS names the proxy.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Config
from showcase import create_app
from showcase.extensions import login_manager
from tests.s3server import free_port
from tests.wire.conftest import GUNICORN, ROOT, Server

BIG = 19 * 1024 * 1024
DEAD_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/showcase"
USER_AGENT = "wire-test/1"


def _read_head(sock: socket.socket, timeout: float) -> bytes:
    """Read until the end of the response headers (or EOF), within ``timeout`` seconds."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _read_response(sock: socket.socket, timeout: float) -> bytes:
    """Read one whole response (headers and a Content-Length body) off a kept-open socket."""
    data = _read_head(sock, timeout)
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _answered(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def test_a_19_mb_json_patch_is_refused_before_it_is_read(server: Server) -> None:
    head = (
        f"PATCH /api/v1/evidence/1 HTTP/1.1\r\nHost: {server.host}\r\n"
        f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {BIG}\r\n\r\n"
    ).encode()
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(head + b'{"title": "' + b"x" * 65536)
        answer = _read_response(sock, timeout=10)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"code":"request_too_large"' in answer
    # The answer came back after 64 KiB of 19 MiB: the worker never waited for (or parsed) it.


def test_a_chunked_json_patch_is_cut_off_at_the_cap(server: Server) -> None:
    """Just past the 1 MiB cap of an unfinished chunked body, the answer is already 413.

    The body is never finished (no last chunk), so a server that read whole bodies before
    judging them would still be waiting; counting bytes sent instead would count the kernel's
    socket buffers, which differ from machine to machine.
    """
    head = (
        f"PATCH /api/v1/evidence/1 HTTP/1.1\r\nHost: {server.host}\r\n"
        f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    piece = b"x" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(head)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(Config.MAX_BODY_BYTES // len(piece) + 2):
                sock.sendall(chunk)
        answer = _read_response(sock, timeout=10)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"code":"request_too_large"' in answer


# -- a server of our own: the dead database, keep-alive ---------------------------------------


@contextlib.contextmanager
def gunicorn(tmp: Path, *args: str, **env: str) -> Iterator[int]:
    """gunicorn (loading gunicorn.conf.py from the project root) on a free port."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHOWCASE_")}
    environment.pop("FORWARDED_ALLOW_IPS", None)
    environment.update(SHOWCASE_ENV="testing", SHOWCASE_UPLOAD_ROOT=str(tmp / "uploads"), **env)
    log = tmp / f"gunicorn-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{port}", *args, "wsgi:app"],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if _read_head(sock, 5).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[bytes, bytes]:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sock.settimeout(30)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def _signed_in_cookie() -> str:
    """A session cookie for user 1 as Flask-Login writes it (fingerprint included), signed with
    the testing secret, so the server must load that user from the database."""
    app = create_app("testing", DATABASE_URL=DEAD_POSTGRES)
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
    ):
        identifier = login_manager._session_identifier_generator()
        serializer = app.session_interface.get_signing_serializer(app)
        value = serializer.dumps({"_user_id": "1:token", "_fresh": True, "_id": identifier})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def test_database_down_signed_in_page_is_showcases_503_page(tmp_path) -> None:
    with gunicorn(tmp_path, "--workers", "1", SHOWCASE_DATABASE_URL=DEAD_POSTGRES) as port:
        headers = {"Cookie": _signed_in_cookie(), "User-Agent": USER_AGENT, "Accept": "text/html"}
        head, body = _get(port, "/apprenticeships/1", headers)
        assert head.startswith(b"HTTP/1.1 503"), head + body[:500]
        assert b"\r\nRetry-After: " in head
        assert b"<title>" in body and b"cannot reach its database" in body

        head, body = _get(port, "/readyz")
        assert head.startswith(b"HTTP/1.1 503")
        assert b'"database":{"error":"OperationalError","ok":false}' in body.replace(b" ", b"")
        head, _ = _get(port, "/healthz")
        assert head.startswith(b"HTTP/1.1 200")


def test_a_client_pausing_on_a_kept_open_connection_is_still_answered(tmp_path) -> None:
    with (
        gunicorn(
            tmp_path, "--workers", "1", "--threads", "2", SHOWCASE_DATABASE_URL="sqlite://"
        ) as port,
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
    ):
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        sock.sendall(request)
        first = _read_response(sock, 10)
        assert first.startswith(b"HTTP/1.1 200"), first
        time.sleep(3.5)  # gunicorn's default keep-alive is 2 s
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            assert sock.recv(1, socket.MSG_PEEK) != b"", "gunicorn closed the idle connection"
        sock.setblocking(True)
        sock.sendall(request)
        assert _read_response(sock, 10).startswith(b"HTTP/1.1 200")


def _printed_config(tmp_path, **env: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHOWCASE_")}
    environment.pop("FORWARDED_ALLOW_IPS", None)
    environment.update(
        SHOWCASE_ENV="testing",
        SHOWCASE_DATABASE_URL="sqlite://",
        SHOWCASE_UPLOAD_ROOT=str(tmp_path / "uploads"),
        **env,
    )
    out = subprocess.run(
        [str(GUNICORN), "--print-config", "wsgi:app"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    settings = {}
    for line in out.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            settings[name.strip()] = value.strip()
    return settings


def test_gunicorn_conf_sets_keepalive_and_trusts_no_forwarder_by_default(tmp_path) -> None:
    settings = _printed_config(tmp_path)
    assert int(settings["keepalive"]) > 60  # longer than a proxy's usual 60-second idle timeout
    assert settings["forwarded_allow_ips"] == "[]"
    assert int(settings["timeout"]) >= 600  # a 2 GiB upload on a slow line


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FORWARDED_ALLOW_IPS": "10.0.0.5,10.1.0.0/16"}, "['10.0.0.5', '10.1.0.0/16']"),
        ({"GUNICORN_KEEPALIVE": "5"}, None),
    ],
)
def test_gunicorn_conf_reads_the_environment(tmp_path, env, expected) -> None:
    settings = _printed_config(tmp_path, **env)
    if "FORWARDED_ALLOW_IPS" in env:
        assert settings["forwarded_allow_ips"] == expected
    else:
        assert settings["keepalive"] == "5"
