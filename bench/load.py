"""Load test: 100 simulated people of every role against gunicorn on PostgreSQL, for a bounded
time, then the integrity checks.

Builds a database of its own (``showcase_load``: a provider, an employer, an assessment
organisation, ``--apprentices`` apprentices 7 months into ST0072 with their tutors and line
managers, assessors and quality assurers, each with an API token; the line manager's section of
each 3-month review written, so that their signature is accepted), serves the app with gunicorn
(production settings, local file storage in a temporary folder, scanning off), runs locust
headless with ``bench/locustfile.py`` (apprentices browse, upload small files and tag them;
tutors browse and accept tags; line managers browse and sign reviews; assessors and quality
assurers browse), and prints requests per second, p50/p95/p99 per kind of request and the error
count. Then it runs ``storage reconcile``, ``coverage rebuild`` and ``audit verify`` on the same
database and storage and prints whether each is clean.

    .venv/bin/pip install -e '.[bench]'      # locust
    .venv/bin/python bench/load.py            # 100 users, 60 s
    .venv/bin/python bench/load.py --users 50 --seconds 30

Targets: no failed request, no 5xx; the three checks clean. Exit status 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "load-test-password"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="simulated people at once")
    parser.add_argument("--seconds", type=int, default=60, help="how long the load runs")
    parser.add_argument("--apprentices", type=int, default=200)
    parser.add_argument("--tutors", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="showcase_load")
    return parser.parse_args()


def environment(url: str, uploads: Path) -> dict[str, str]:
    return dict(
        os.environ,
        FLASK_APP="wsgi",
        SHOWCASE_ENV="production",
        SHOWCASE_SECRET_KEY="load-test-only",
        SHOWCASE_AUDIT_CHECKPOINT_KEY="load-test-only",
        SHOWCASE_DATABASE_URL=url,
        SHOWCASE_UPLOAD_ROOT=str(uploads),
        SHOWCASE_AV="off",
        SHOWCASE_RATELIMIT_STORAGE_URI="memory://",
        # Every simulated person signs in from 127.0.0.1: the per-address limit would trip.
        SHOWCASE_SIGN_IN_RATE_LIMIT="100000 per minute",
        SHOWCASE_SESSION_COOKIE_SECURE="false",
        SHOWCASE_MAIL_BACKEND="outbox",
    )


def build(args: argparse.Namespace, url: str, uploads: Path, people_file: Path) -> None:
    """A fresh database with the people of the test, through the app's own services."""
    import psycopg

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    os.environ.update(environment(url, uploads))
    from showcase import create_app, db, migrate
    from showcase.accounts import services as accounts
    from showcase.accounts.models import Organisation, OrganisationKind, Role, User
    from showcase.db import get_database
    from showcase.portfolios import services as portfolios
    from showcase.reviews import services as reviews
    from showcase.standards import services as standards
    from showcase.standards.loaders import get_standard_or_404
    from showcase.standards.models import ReferenceKind

    app = create_app("production", DATABASE_URL=url, UPLOAD_ROOT=str(uploads), AV="off")
    migrate.upgrade(get_database(app).engine)
    people: dict[str, list[dict]] = {
        "apprentice": [],
        "tutor": [],
        "manager": [],
        "assessor": [],
        "quality_assurer": [],
    }
    with app.app_context():
        standards.import_bundled()
        standard = get_standard_or_404("ST0072")
        refs = [r.ref for r in standard.references if r.kind == ReferenceKind.UNIT]
        provider = accounts.create_organisation(
            None, name="Load Training", kind=OrganisationKind.TRAINING_PROVIDER
        )
        employer = accounts.create_organisation(
            None, name="Load Retail", kind=OrganisationKind.EMPLOYER
        )
        ao = accounts.create_organisation(
            None, name="Load EPA", kind=OrganisationKind.ASSESSMENT_ORGANISATION
        )

        def person(role: Role, n: int, organisation: Organisation) -> tuple[User, dict]:
            user = accounts.create_user(
                None,
                email=f"{role.value}{n}@load.test",
                name=f"{role.value.replace('_', ' ').title()} {n}",
                role=role,
                organisation=organisation,
                password=PASSWORD,
            )
            _token, plain = accounts.create_api_token(user, name="load")
            return user, {"email": user.email, "token": plain}

        tutors = [person(Role.TUTOR, n, provider) for n in range(args.tutors)]
        managers = [person(Role.EMPLOYER_CONTACT, n, employer) for n in range(args.tutors)]
        start = dt.date.today() - dt.timedelta(days=215)  # past the 3- and 6-month reviews
        for n in range(args.apprentices):
            apprentice, entry = person(Role.APPRENTICE, n, employer)
            tutor, manager = tutors[n % len(tutors)], managers[n % len(managers)]
            apprenticeship = portfolios.create_apprenticeship(
                None,
                apprentice=apprentice,
                standard=standard,
                start_date=start,
                line_manager=manager[0],
                tutor=tutor[0],
            )
            db.session.flush()
            # The line manager has written their section of the 3-month review, which the
            # default template requires before they sign (bench/locustfile.py's LineManager).
            review = reviews.ensure_review(manager[0], apprenticeship, 3)
            reviews.save_section(
                manager[0], review, "employer_comments", f"{apprentice.name} is settling in well."
            )
            people["apprentice"].append(
                {**entry, "apprenticeship": apprenticeship.id, "refs": refs}
            )
            tutor[1].setdefault("apprenticeships", []).append(apprenticeship.id)
            manager[1].setdefault("apprenticeships", []).append(apprenticeship.id)
        people["tutor"] = [t[1] for t in tutors]
        people["manager"] = [m[1] for m in managers]
        people["assessor"] = [person(Role.ASSESSOR, n, ao)[1] for n in range(5)]
        people["quality_assurer"] = [person(Role.QUALITY_ASSURER, n, ao)[1] for n in range(3)]
        db.session.commit()
    get_database(app).engine.dispose()
    people_file.write_text(json.dumps({"password": PASSWORD, "people": people}))


def serve(args: argparse.Namespace, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "--config",
            "gunicorn.conf.py",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_locust(args: argparse.Namespace, port: int, env: dict[str, str], prefix: Path) -> None:
    locust = Path(sys.executable).with_name("locust")
    subprocess.run(
        [
            str(locust),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(max(1, args.users // 10)),
            "--run-time",
            f"{args.seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )


def report(prefix: Path) -> int:
    """Print the figures; return the number of failed requests."""
    with Path(f"{prefix}_stats.csv").open() as stats:
        rows = list(csv.DictReader(stats))
    print(
        f"\n{'request':<32} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}"
    )
    failures = 0
    for row in rows:
        name = "all requests" if row["Name"] == "Aggregated" else row["Name"]
        failures += int(row["Failure Count"]) if row["Name"] != "Aggregated" else 0
        print(
            f"{name:<32} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{float(row['Requests/s']):7.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    errors = Path(f"{prefix}_failures.csv")
    if failures and errors.exists():
        print("\nfailures:")
        with errors.open() as listed:
            for row in csv.DictReader(listed):
                print(f"  {row['Occurrences']:>5} × {row['Method']} {row['Name']}: {row['Error']}")
    return failures


def checks(env: dict[str, str]) -> bool:
    flask = Path(sys.executable).with_name("flask")
    clean = True
    for command in (["storage", "reconcile"], ["coverage", "rebuild"], ["audit", "verify"]):
        done = subprocess.run(
            [str(flask), *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        last = (done.stdout.strip().splitlines() or [""])[-1]
        ok = done.returncode == 0
        clean = clean and ok
        print(f"{' '.join(command):<20} {'clean' if ok else f'EXIT {done.returncode}'}: {last}")
        if not ok:
            print(done.stdout[-2000:], done.stderr[-2000:])
    return clean


def main() -> None:
    args = parse_args()
    url = f"{args.server.replace('postgresql://', 'postgresql+psycopg://')}/{args.database}"
    with tempfile.TemporaryDirectory(prefix="showcase-load-") as tmp:
        uploads, people_file = Path(tmp) / "uploads", Path(tmp) / "people.json"
        uploads.mkdir()
        build(args, url, uploads, people_file)
        env = {**environment(url, uploads), "LOAD_PEOPLE": str(people_file)}
        port = free_port()
        server = serve(args, env, port, Path(tmp) / "gunicorn.log")
        try:
            run_locust(args, port, env, Path(tmp) / "locust")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        print(
            f"gunicorn {args.workers} workers × {args.threads} threads on PostgreSQL; "
            f"{args.users} simulated people for {args.seconds} s; {args.apprentices} apprentices"
        )
        failures = report(Path(tmp) / "locust")
        print()
        clean = checks(env)
    print(
        f"\ntargets: no failed request: {'met' if not failures else f'MISSED ({failures})'}; "
        f"integrity checks clean: {'met' if clean else 'MISSED'}"
    )
    sys.exit(0 if clean and not failures else 1)


if __name__ == "__main__":
    main()
