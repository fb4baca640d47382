#!/usr/bin/env bash
# The README's first command: install, create the embedded database (SQLite + uploads/),
# load the demo data and serve Showcase on http://127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
export FLASK_APP=wsgi:app
export SHOWCASE_ENV=${SHOWCASE_ENV:-development}
.venv/bin/flask db upgrade
.venv/bin/flask demo load
PORT=${PORT:-5000}
echo "==> Showcase on http://127.0.0.1:${PORT}  (Ctrl-C to stop)"
exec .venv/bin/gunicorn --bind "127.0.0.1:${PORT}" --workers 2 --threads 4 --timeout 600 wsgi:app
