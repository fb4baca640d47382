"""Absolute links, always built from the configured BASE_URL.

Never from the request's Host header: a link built from ``Host: evil.example`` and emailed or
shown to someone points at whoever sent that header. One helper for emails, the CLI and pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` under BASE_URL (e.g. ``https://showcase.example/epa``).

    Works with or without a request (CLI commands, and later background jobs, have none).
    """
    base = urlsplit(current_app.config["BASE_URL"])
    if base.scheme not in ("http", "https") or not base.netloc:
        raise RuntimeError(f"BASE_URL must be an absolute http(s) URL, not {base.geturl()!r}.")
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
