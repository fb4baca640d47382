"""Benchmark: one apprentice's coverage page, the cohort dashboard and the tutor's marking queue,
beside /healthz.

Builds synthetic data on PostgreSQL in its own database (bulk COPY, then ``coverage rebuild``,
then the forecast's stored days as the daily ``coverage-days`` job writes them; ``--no-days``
leaves them out, so every dashboard learner takes the exact path through the tag history),
serves the app with gunicorn on a free loopback port and prints p50/p95 latencies of
``/healthz``, ``/apprenticeships/<id>/coverage``, ``/dashboard`` (paged: its first page and one
half-way through, with the gateway forecast and off-the-job hours columns) and ``/marking`` (a
tutor of every apprentice; ``--pending`` tags of all of them wait for a decision), measured in
the same run, under the same server, and the ratios to /healthz.

    .venv/bin/python bench/coverage.py                      # 1,000 × 300 items × ~3 tags
    .venv/bin/python bench/coverage.py --items 30           # 1,000 × 30 items, 20,000 pending
    .venv/bin/python bench/coverage.py --apprentices 100 --items 50 --requests 50   # quick

Targets: coverage page p50 ≤ 20 ms; cohort dashboard (a page, with hours and forecast) p50 ≤
100 ms; marking queue (first page) p50 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password"
KINDS = [
    "witness_statement",
    "recording",
    "customer_feedback",
    "manager_statement",
    "observation_record",
    "reflective_account",
    "reflective_account",
    "work_product",
    "photo",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apprentices", type=int, default=1000)
    parser.add_argument("--items", type=int, default=300, help="evidence items per apprentice")
    parser.add_argument("--tags", type=float, default=3.0, help="mean tags per item (1–5)")
    parser.add_argument(
        "--pending", type=int, default=20_000, help="tags left pending (the marking queue)"
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per route")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--server", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server"
    )
    parser.add_argument("--database", default="showcase_bench")
    parser.add_argument("--reuse", action="store_true", help="keep an already built database")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-days",
        action="store_true",
        help="empty coverage_days: the dashboard's forecast reads the tag history (the old path)",
    )
    return parser.parse_args()


# ----------------------------------------------------------------------------- building


def recreate_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _copy(cur, table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of already-formatted text) in chunks; returns the count."""
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(row))
            buffer.write("\n")
            count += 1
            if count % 50_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return count


def build(args: argparse.Namespace, url: str) -> None:
    """Schema through the migrations, standards imported, then bulk data."""
    import psycopg

    from showcase import create_app, db, migrate
    from showcase.accounts.passwords import hash_password
    from showcase.db import get_database
    from showcase.standards import services as standards
    from showcase.standards.loaders import get_standard_or_404

    app = create_app("testing", DATABASE_URL=url)
    migrate.upgrade(get_database(app).engine)
    with app.app_context():
        standards.import_bundled()
        db.session.commit()
        standard = get_standard_or_404("ST0072")
        unit_ids = [r.id for r in standard.references if r.kind.value == "unit"]
        standard_id = standard.id
    rng = random.Random(args.seed)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    ts = now.isoformat()
    pw = hash_password(PASSWORD)
    started = time.perf_counter()
    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        _copy(
            cur,
            "organisations",
            ["id", "name", "kind", "created_at"],
            [
                ("1", "Bench Employer", "employer", ts),
                ("2", "Bench Provider", "training_provider", ts),
            ],
        )
        n = args.apprentices
        people = [
            ("1", "tutor@bench.test", "Bench Tutor", "tutor", "2"),
            ("2", "manager@bench.test", "Bench Manager", "employer_contact", "1"),
        ] + [
            (str(3 + i), f"apprentice{i}@bench.test", f"Apprentice {i:05d}", "apprentice", "1")
            for i in range(n)
        ]
        _copy(
            cur,
            "users",
            [
                "id",
                "email",
                "name",
                "role",
                "organisation_id",
                "password_hash",
                "session_token",
                "is_active",
                "created_at",
            ],
            ((*p, pw, f"tok{p[0]}", "t", ts) for p in people),
        )
        starts = [today - dt.timedelta(days=rng.randint(30, 540)) for _ in range(n)]
        _copy(
            cur,
            "apprenticeships",
            [
                "id",
                "apprentice_id",
                "standard_id",
                "start_date",
                "employer_id",
                "line_manager_id",
                "provider_id",
                "tutor_id",
                "planned_end_date",
                "planned_otj_hours",
                "created_at",
            ],
            (
                (
                    str(i + 1),
                    str(3 + i),
                    str(standard_id),
                    starts[i].isoformat(),
                    "1",
                    "2",
                    "2",
                    "1",
                    # 15 to 21 months after the start: some forecasts beat it, some do not.
                    (starts[i] + dt.timedelta(days=rng.randint(456, 640))).isoformat(),
                    "278",
                    ts,
                )
                for i in range(n)
            ),
        )
        evidence_rows, tag_rows, event_rows = [], [], []
        evidence_id = tag_id = event_id = 0
        for a in range(n):
            span = max((today - starts[a]).days, 1)
            for _ in range(args.items):
                evidence_id += 1
                day = starts[a] + dt.timedelta(days=rng.randrange(span))
                made = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC).isoformat()
                kind = rng.choice(KINDS)
                witness = (
                    ("Jo Witness", "Supervisor") if kind == "witness_statement" else ("\\N", "\\N")
                )
                evidence_rows.append(
                    (
                        str(evidence_id),
                        str(a + 1),
                        f"Item {evidence_id}",
                        kind,
                        day.isoformat(),
                        "Bench evidence.",
                        witness[0],
                        witness[1],
                        str(3 + a),
                        made,
                        made,
                    )
                )
                k = max(1, min(5, round(rng.gauss(args.tags, 1))))
                for unit in rng.sample(unit_ids, k):
                    tag_id += 1
                    tag_rows.append((str(tag_id), str(evidence_id), str(unit), made, str(3 + a)))
        # Exactly --pending tags wait for the tutor (the marking queue); the rest are decided,
        # 7 accepted to 1 sent back (the proportions the coverage figures were taken with).
        waiting = set(rng.sample(range(1, tag_id + 1), min(args.pending, tag_id)))
        for i, (tid, item_id, unit, made, apprentice_id) in enumerate(tag_rows):
            status = (
                "pending"
                if int(tid) in waiting
                else rng.choices(["accepted", "sent_back"], [7, 1])[0]
            )
            tag_rows[i] = (tid, item_id, unit, "Shows it.", status, made)
            event_id += 1
            event_rows.append((str(event_id), tid, apprentice_id, "created", made))
            if status != "pending":
                event_id += 1
                event_rows.append((str(event_id), tid, "1", status, made))
        _copy(
            cur,
            "evidence_items",
            [
                "id",
                "apprenticeship_id",
                "title",
                "kind",
                "activity_date",
                "description",
                "witness_name",
                "witness_relationship",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            evidence_rows,
        )
        _copy(
            cur,
            "evidence_tags",
            ["id", "evidence_id", "reference_id", "justification", "status", "created_at"],
            tag_rows,
        )
        _copy(
            cur,
            "evidence_tag_events",
            ["id", "tag_id", "actor_id", "action", "at"],
            event_rows,
        )
        for table in (
            "organisations",
            "users",
            "apprenticeships",
            "evidence_items",
            "evidence_tags",
            "evidence_tag_events",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
        cur.execute("ANALYZE")
    loaded = time.perf_counter() - started
    from showcase.coverage.rollup import rebuild

    started = time.perf_counter()
    with app.app_context():
        rows = rebuild(db.session)
        db.session.commit()
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute("ANALYZE coverage_rollups")
    print(
        f"built: {n} apprentices, {evidence_id} evidence items, {tag_id} tags, "
        f"{event_id} tag events in {loaded:.1f} s; rollup rebuilt ({rows} rows) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    get_database(app).engine.dispose()


def fill_days(url: str, keep: bool) -> None:
    """The forecast's stored days as production keeps them: what the daily ``coverage-days``
    job (and ``flask coverage rebuild``) writes; or none at all, when not ``keep``. Creates the
    table in a database built before it existed (``--reuse``)."""
    from sqlalchemy import delete

    from showcase import create_app, db
    from showcase.coverage.days import refresh_days
    from showcase.coverage.models import CoverageDay
    from showcase.db import get_database

    app = create_app("testing", DATABASE_URL=url)
    engine = get_database(app).engine
    CoverageDay.__table__.create(engine, checkfirst=True)
    started = time.perf_counter()
    with app.app_context():
        if keep:
            rows = refresh_days()
        else:
            db.session.execute(delete(CoverageDay))
            rows = 0
        db.session.commit()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE coverage_days")
    print(f"coverage_days: {rows} rows written in {time.perf_counter() - started:.1f} s")
    engine.dispose()


def middle_cursor(url: str) -> str:
    """The dashboard's ``after`` for the page half-way through the tutor's cohort."""
    import psycopg

    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw) as conn:
        count = conn.execute("SELECT count(*) FROM apprenticeships").fetchone()[0]
        start, ident = conn.execute(
            "SELECT start_date, id FROM apprenticeships ORDER BY start_date, id OFFSET %s LIMIT 1",
            (max(count // 2 - 1, 0),),
        ).fetchone()
    return f"{start.isoformat()}.{ident}"


# ----------------------------------------------------------------------------- serving


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        SHOWCASE_ENV="production",
        SHOWCASE_SECRET_KEY="bench-only",
        SHOWCASE_AUDIT_CHECKPOINT_KEY="bench-only",
        SHOWCASE_DATABASE_URL=url,
        SHOWCASE_RATELIMIT_STORAGE_URI="memory://",
        SHOWCASE_SESSION_COOKIE_SECURE="false",
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


class Client:
    """A keep-alive HTTP client that carries the session cookie."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def sign_in(self, email: str) -> None:
        from urllib.parse import urlencode

        _, page = self.request("GET", "/sign-in")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        body = urlencode({"csrf_token": token.group(1), "email": email, "password": PASSWORD})
        status, _ = self.request("POST", "/sign-in", body)
        if status != 302:
            raise SystemExit(f"sign-in as {email} failed ({status})")


def timed(client: Client, path: str, n: int) -> list[float]:
    for _ in range(min(10, n)):
        status, _ = client.request("GET", path)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        client.request("GET", path)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    args = parse_args()
    url = f"{args.server.replace('postgresql://', 'postgresql+psycopg://')}/{args.database}"
    if not args.reuse:
        recreate_database(args.server, args.database)
        build(args, url)
    fill_days(url, keep=not args.no_days)
    middle = middle_cursor(url)
    port = free_port()
    server = serve(url, port, args.workers)
    try:
        client = Client(port)
        client.sign_in("tutor@bench.test")
        routes = [
            ("/healthz", "healthz"),
            # The portfolio overview: same sign-in and loader, no coverage; the page floor.
            ("/apprenticeships/1", "apprenticeship overview (reference)"),
            ("/apprenticeships/1/coverage", "coverage page (1 apprentice)"),
            ("/dashboard", f"dashboard, page 1 ({args.apprentices} apprentices)"),
            (f"/dashboard?after={middle}", "dashboard, a page half-way"),
            ("/marking", f"marking queue, first page ({args.pending} pending)"),
        ]
        results = {label: timed(client, path, args.requests) for path, label in routes}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    base = statistics.median(results["healthz"])
    print(
        f"gunicorn, {args.workers} workers, 127.0.0.1:{port}; {args.requests} sequential "
        f"requests per route after 10 warm-up; sizes: {args.apprentices} apprentices × "
        f"{args.items} items × ~{args.tags:g} tags"
    )
    print(f"{'route':<40} {'p50 ms':>8} {'p95 ms':>8} {'p50 / healthz':>14}")
    for label, samples in results.items():
        p50, p95 = pct(samples, 0.5), pct(samples, 0.95)
        print(f"{label:<40} {p50:8.1f} {p95:8.1f} {p50 / base:13.1f}×")
    coverage_p50 = pct(results["coverage page (1 apprentice)"], 0.5)
    dashboard_p50 = max(pct(results[routes[i][1]], 0.5) for i in (3, 4))
    marking_p50 = pct(results[routes[5][1]], 0.5)
    print(
        f"targets: coverage p50 ≤ 20 ms: {'met' if coverage_p50 <= 20 else 'MISSED'}; "
        f"dashboard pages p50 ≤ 100 ms: {'met' if dashboard_p50 <= 100 else 'MISSED'}; "
        f"marking queue p50 ≤ 30 ms: {'met' if marking_p50 <= 30 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
