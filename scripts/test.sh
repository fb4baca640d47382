#!/usr/bin/env bash
# The README's second command: install everything the tests need (Chromium, PostgreSQL when
# it is not already running, ClamAV's daemon, libmagic, the Python packages) and run lint, the
# migration check and the whole pytest suite on SQLite and PostgreSQL, browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

source scripts/lib.sh

# Debian's Chromium for the browser tests (never a browser download), fonts so text renders.
apt_install chromium fonts-dejavu-core

# ClamAV's daemon for the virus-scanning tests; they start their own clamd (no signature
# download here: they write a one-signature database with the EICAR test file's signature).
install_clamd

# PostgreSQL: use the one on 127.0.0.1:5432; otherwise install and start Debian's.
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  echo "==> starting PostgreSQL"
  for v in /etc/postgresql/*; do
    as_root pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true
  done
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
# The project's machines trust local TCP logins; Debian's default asks for a password, so
# give the postgres user one and use it (whether or not this script started the server).
if ! PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -U postgres -c 'select 1' -q >/dev/null 2>&1; then
  as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" || true
  export SHOWCASE_TEST_POSTGRES_URL=${SHOWCASE_TEST_POSTGRES_URL:-postgresql+psycopg://postgres:postgres@127.0.0.1:5432/showcase_test}
fi

# Redis for the shared rate-limit store test: install and start Debian's when none answers.
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  command -v redis-server >/dev/null || apt_install redis-server
  echo "==> starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
  for _ in $(seq 1 10); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 1; done
fi

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "==> mypy"
.venv/bin/mypy

echo "==> pytest"
export SHOWCASE_CHROMIUM=${SHOWCASE_CHROMIUM:-/usr/bin/chromium}
# Two workers (pytest-xdist) on these 2-core machines, a test file at a time on one worker
# (--dist loadfile): each worker has its own databases, servers and browser. The modules that
# use Redis each have their own numbered databases (sign-in 15, jobs 14, failure modes 13,
# two hosts 12 and 11), so no two workers touch the same one. SHOWCASE_TEST_WORKERS=0 runs
# everything in one process.
exec .venv/bin/pytest -n "${SHOWCASE_TEST_WORKERS:-2}" --dist loadfile "$@"
