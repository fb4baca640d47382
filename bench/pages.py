"""Benchmark: every page a tutor uses, on the big data set, beside /healthz — twice: with
psycopg's prepared statements kept from request to request (the default) and with them off.

Builds the same synthetic PostgreSQL database as ``bench/coverage.py`` (1,000 apprentices × 300
items × ~3 tags by default; ``--reuse`` keeps one already built), serves the app with gunicorn on
a free loopback port and times, as the tutor of every apprentice: home (the to-do list), the
marking queue, the cohort dashboard, one learner's page, evidence list, an evidence item,
coverage, matrix, coverage history and reviews. It prints p50, p95, p95/p50 and p50/healthz per
page, then the same with ``prepare_threshold=none`` in the database URL (every statement parsed
and planned afresh, as it was when reads ended with ROLLBACK), and the ratio of the two.

    .venv/bin/python bench/pages.py                              # build, then measure
    .venv/bin/python bench/pages.py --reuse --requests 100       # measure again

Targets on a 2-core machine: every page p50 ≤ 20 ms except the dashboard (≤ 40 ms, paged);
p95 ≤ 2 × p50.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import statistics
import sys
import types
from pathlib import Path


def _load_dataset() -> types.ModuleType:
    """bench/coverage.py: the data set, the server and the HTTP client (loaded by path: the
    name ``coverage`` belongs to coverage.py)."""
    spec = importlib.util.spec_from_file_location(
        "bench_coverage", Path(__file__).with_name("coverage.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_coverage"] = module
    spec.loader.exec_module(module)
    return module


dataset = _load_dataset()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apprentices", type=int, default=1000)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--tags", type=float, default=3.0)
    parser.add_argument("--pending", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="showcase_bench")
    parser.add_argument("--reuse", action="store_true", help="keep an already built database")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def first_item(url: str) -> int:
    """The first evidence item of apprenticeship 1 (the learner whose pages are timed)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(text("SELECT min(id) FROM evidence_items WHERE apprenticeship_id = 1"))
    engine.dispose()
    if found is None:
        raise SystemExit("apprenticeship 1 has no evidence: rebuild without --reuse")
    return int(found)


def pages(args: argparse.Namespace, item_id: int) -> list[tuple[str, str]]:
    return [
        ("/healthz", "healthz"),
        ("/", "home (to-do list)"),
        ("/marking", "marking queue"),
        ("/dashboard", "cohort dashboard"),
        ("/apprenticeships/1", "learner"),
        ("/apprenticeships/1/evidence", f"evidence list ({args.items} items)"),
        (f"/evidence/{item_id}", "evidence item"),
        ("/apprenticeships/1/coverage", "coverage"),
        ("/apprenticeships/1/coverage/matrix", "matrix"),
        ("/apprenticeships/1/coverage/history", "coverage history"),
        ("/apprenticeships/1/reviews", "reviews"),
    ]


def measure(url: str, args: argparse.Namespace, routes: list[tuple[str, str]]) -> dict:
    port = dataset.free_port()
    server = dataset.serve(url, port, args.workers)
    try:
        client = dataset.Client(port)
        client.sign_in("tutor@bench.test")
        return {label: dataset.timed(client, path, args.requests) for path, label in routes}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


def report(title: str, results: dict) -> dict[str, float]:
    base = statistics.median(results["healthz"])
    print(f"\n{title}")
    print(f"{'page':<32} {'p50 ms':>8} {'p95 ms':>8} {'p95/p50':>8} {'p50/healthz':>12}")
    medians = {}
    for label, samples in results.items():
        p50, p95 = dataset.pct(samples, 0.5), dataset.pct(samples, 0.95)
        medians[label] = p50
        print(f"{label:<32} {p50:8.1f} {p95:8.1f} {p95 / p50:8.1f} {p50 / base:11.1f}×")
    return medians


def main() -> None:
    args = parse_args()
    url = f"{args.server.replace('postgresql://', 'postgresql+psycopg://')}/{args.database}"
    if not args.reuse:
        dataset.recreate_database(args.server, args.database)
        dataset.build(args, url)
    routes = pages(args, first_item(url))
    kept = measure(url, args, routes)
    unprepared = measure(f"{url}?prepare_threshold=none", args, routes)
    print(
        f"gunicorn, {args.workers} workers; {args.requests} sequential requests per page after "
        f"10 warm-up; {args.apprentices} apprentices × {args.items} items × ~{args.tags:g} tags"
    )
    with_prepared = report("prepared statements kept across requests (default)", kept)
    without = report("prepare_threshold=none (every statement planned afresh)", unprepared)
    print(f"\n{'page':<32} {'p50 kept / p50 none':>20}")
    for label in with_prepared:
        print(f"{label:<32} {with_prepared[label] / without[label]:19.2f}")
    missed = [
        label
        for label, samples in kept.items()
        if label != "healthz"
        and (
            dataset.pct(samples, 0.5) > (40 if label == "cohort dashboard" else 20)
            or dataset.pct(samples, 0.95) > 2 * dataset.pct(samples, 0.5)
        )
    ]
    print(
        "\ntargets (p50 ≤ 20 ms, dashboard ≤ 40 ms; p95 ≤ 2 × p50):",
        "missed by " + ", ".join(missed) if missed else "met",
    )


if __name__ == "__main__":
    main()
