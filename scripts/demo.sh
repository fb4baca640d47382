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
# A signed checkpoint of the audit chain's head, so `flask audit verify` has one to check against.
.venv/bin/flask audit checkpoint
PORT=${PORT:-5000}
echo "==> Showcase on http://127.0.0.1:${PORT}  (Ctrl-C to stop)"
# gunicorn.conf.py: keep-alive, timeout, no trusted forwarders (see the file).
exec .venv/bin/gunicorn --config gunicorn.conf.py --bind "127.0.0.1:${PORT}" --workers 2 --threads 4 wsgi:app
