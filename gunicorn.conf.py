"""gunicorn settings for Showcase, chosen deliberately rather than left at gunicorn's defaults.

gunicorn reads this file from the directory it starts in (the project root), so
``gunicorn wsgi:app`` there uses it; ``--config gunicorn.conf.py`` says so explicitly. Command
line flags override it (``--workers 4``). Each setting can also come from the environment:

- ``WEB_CONCURRENCY`` worker processes (default 2), ``GUNICORN_THREADS`` threads per worker
  (default 1: the sync worker; more than 1 selects gunicorn's threaded worker, which is the
  only one that keeps connections open between requests).
- ``GUNICORN_KEEPALIVE`` seconds an idle kept-open connection is held (default 75). gunicorn's
  own default, 2 s, resets the next request of a client that pauses about that long (the server
  closes just as the client reuses the connection). Served directly, 75 s outlasts the pauses of
  a person using the pages. Behind a proxy or load balancer, keep it *longer* than the proxy's
  idle timeout for upstream connections (nginx ``keepalive_timeout``, an AWS ALB's idle timeout:
  60 s by default), so the proxy always closes an idle connection first, never gunicorn.
- ``FORWARDED_ALLOW_IPS`` addresses (or networks) of the proxies whose X-Forwarded-Proto and
  other forwarded headers gunicorn believes. Default: none. gunicorn's own default trusts
  loopback, so anything on the host could claim https. Behind a proxy, set it to the proxy's
  address (``10.0.0.5``, ``10.0.0.0/24``); ``*`` only when nothing but the proxy can reach
  gunicorn.
- ``GUNICORN_TIMEOUT`` seconds a worker may spend on one request before the master replaces it
  (default 600: a 2 GiB upload over a slow connection).
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


workers = _int("WEB_CONCURRENCY", 2)
threads = _int("GUNICORN_THREADS", 1)
keepalive = _int("GUNICORN_KEEPALIVE", 75)
timeout = _int("GUNICORN_TIMEOUT", 600)
# Give in-flight requests (uploads included) time to finish on a restart.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
