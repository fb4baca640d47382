"""Builds the configured Storage backend and virus Scanner once per app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:  # imported when the app is built (init_storage), not when this module is
    from showcase.storage import Storage
    from showcase.storage.scan import Scanner


def init_storage(app: Flask) -> None:
    from showcase.storage import build_storage
    from showcase.storage.scan import build_scanner

    app.extensions["showcase.storage"] = build_storage(app.config)
    # Both hold configuration only (no connections), so any worker can serve any request.
    app.extensions["showcase.scanner"] = build_scanner(app.config)
    app.add_template_global(lambda: get_scanner().enabled, "files_are_scanned")


def get_storage() -> Storage:
    """The Storage of the current app."""
    return current_app.extensions["showcase.storage"]


def get_scanner() -> Scanner:
    """The virus Scanner of the current app (a NoScanner when AV is off)."""
    return current_app.extensions["showcase.scanner"]
