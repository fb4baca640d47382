"""Builds the configured Storage backend once per app."""

from __future__ import annotations

from flask import Flask, current_app


def init_storage(app: Flask) -> None:
    from showcase.storage import build_storage

    app.extensions["showcase.storage"] = build_storage(app.config)


def get_storage():
    """The Storage of the current app."""
    return current_app.extensions["showcase.storage"]
