"""Run moto's S3 server mode in a subprocess so tests talk to "S3" over real HTTP.

Usage from any test folder's conftest::

    from tests.s3server import moto_server, reset_moto

    @pytest.fixture(scope="session")
    def s3_endpoint():
        with moto_server() as url:
            yield url

A subprocess (rather than moto's in-process decorators) keeps botocore's real HTTP stack in the
loop: signing, streaming bodies, presigned URLs and multipart uploads all go over the wire.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
#: Credentials and region the tests' boto3 clients use; moto accepts any.
TEST_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "region_name": "us-east-1",
}


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


def _start(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    # The server must not pick up a developer's real AWS settings or proxies.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def moto_server(*, timeout: float = START_TIMEOUT, attempts: int = 3) -> Iterator[str]:
    """Start ``python -m moto.server`` on a free loopback port; yield its endpoint URL."""
    with tempfile.TemporaryDirectory(prefix="moto-server-") as folder:
        log = Path(folder) / "moto.log"
        last_error = ""
        for _ in range(attempts):
            port = free_port()
            url = f"http://{HOST}:{port}"
            process = _start(port, log)
            deadline = time.monotonic() + timeout
            try:
                while time.monotonic() < deadline and process.poll() is None:
                    if _answers(url):
                        break
                    time.sleep(0.1)
                if process.poll() is None and _answers(url):
                    try:
                        yield url
                    finally:
                        _stop(process)
                    return
            except BaseException:
                _stop(process)
                raise
            # It exited (the port was taken between choosing and binding?) or never answered.
            _stop(process)
            last_error = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"moto server did not start after {attempts} attempts:\n{last_error}")


def reset_moto(url: str) -> None:
    """Forget every bucket and object on the server (moto's reset API)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def s3_client(url: str) -> Any:
    """A boto3 client for the server at ``url``, as the tests read and write it directly.

    botocore's own check of a download compares a multipart object's composite checksum with
    the whole object's, which moto sends without the "-<parts>" suffix that tells them apart:
    the tests hash what they read themselves, as the app does."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session(**TEST_CREDENTIALS).client(
        "s3",
        endpoint_url=url,
        config=Config(
            s3={"addressing_style": "path"}, response_checksum_validation="when_required"
        ),
    )


def new_bucket(client: Any, purpose: str) -> str:
    """A bucket of its own for one test module."""
    import uuid

    name = f"showcase-{purpose}-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name


#: Key prefix of a test app's objects in its bucket.
APP_PREFIX = "showcase/"


def s3_settings(url: str, bucket: str, prefix: str = APP_PREFIX) -> dict[str, Any]:
    """The app's configuration for storing files in ``bucket`` on the server at ``url``."""
    return {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket,
        "S3_PREFIX": prefix,
        "S3_ENDPOINT_URL": url,
        "S3_REGION": TEST_CREDENTIALS["region_name"],
        "S3_ACCESS_KEY_ID": TEST_CREDENTIALS["aws_access_key_id"],
        "S3_SECRET_ACCESS_KEY": TEST_CREDENTIALS["aws_secret_access_key"],
    }
