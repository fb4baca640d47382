"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives, for mail tests.

Use the ``smtp_app`` fixture: it points the session-wide app at a fresh server with the SMTP
backend for one test and puts the configuration back afterwards.
"""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask

USERNAME = "showcase"
PASSWORD = "smtp-secret"


@dataclass
class Received:
    """One message as the server saw it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def body(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()


@dataclass
class MailServer:
    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and (data.login, data.password) == (
            USERNAME.encode(),
            PASSWORD.encode(),
        ):
            self.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailserver() -> Iterator[MailServer]:
    """An SMTP server on 127.0.0.1 that accepts AUTH LOGIN/PLAIN without TLS (tests only)."""
    server = MailServer("127.0.0.1", _free_port())
    controller = Controller(
        server,
        hostname=server.host,
        port=server.port,
        authenticator=server.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_app(app: Flask, mailserver: MailServer) -> Iterator[Flask]:
    """The app sending over SMTP to ``mailserver`` for the duration of one test."""
    settings = {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": mailserver.host,
        "SMTP_PORT": mailserver.port,
        "SMTP_STARTTLS": False,
        "SMTP_USERNAME": USERNAME,
        "SMTP_PASSWORD": PASSWORD,
        "SMTP_FROM": "Showcase <no-reply@showcase.test>",
    }
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    try:
        yield app
    finally:
        app.config.update(saved)
