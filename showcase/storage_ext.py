"""Builds the configured Storage backend and virus Scanner once per app."""

from __future__ import annotations

from flask import Flask, current_app


def init_storage(app: Flask) -> None:
    from showcase.storage import build_storage
    from showcase.storage.scan import build_scanner

    app.extensions["showcase.storage"] = build_storage(app.config)
    # Both hold configuration only (no connections), so any worker can serve any request.
    app.extensions["showcase.scanner"] = build_scanner(app.config)
    app.add_template_global(lambda: get_scanner().enabled, "files_are_scanned")


def get_storage():
    """The Storage of the current app."""
    return current_app.extensions["showcase.storage"]


def get_scanner():
    """The virus Scanner of the current app (a NoScanner when AV is off)."""
    return current_app.extensions["showcase.scanner"]
