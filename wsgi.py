"""Entry point for gunicorn: ``gunicorn wsgi:app``."""

from showcase import create_app

app = create_app()
