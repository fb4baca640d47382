"""Database engine, declarative base and the request-scoped session.

One session per application context, closed at teardown. A mutating request is committed once,
after its handler (``end_request_transaction``); handlers and services only flush. Tests bind
the session factory to a connection inside an outer transaction (SQLAlchemy's "join a session
into an external transaction" recipe), so every test rolls back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import (
    DateTime,
    Engine,
    Enum,
    MetaData,
    create_engine,
    event,
    inspect,
    make_url,
    select,
)
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import DeclarativeBase, Mapper, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use showcase.db.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


def str_enum(kind: type, length: int = 40) -> Enum:
    """A StrEnum column stored as its values in a string with a CHECK constraint.

    Portable across SQLite and PostgreSQL, and adding a value is an ordinary migration.
    """
    return Enum(
        kind,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def build_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-dialect settings Showcase relies on."""
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            from sqlalchemy.pool import StaticPool

            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        # A database host that drops packets (rather than refusing) would otherwise hold each
        # request until the OS gives up; fail fast and let the error handler answer 503.
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", 5)
        url = _prepare_threshold(url, connect_args)
    return create_engine(url, **kwargs)


def _prepare_threshold(url: str, connect_args: dict[str, Any]) -> str:
    """Take psycopg's ``prepare_threshold`` from the URL's query (it is not a libpq setting, so
    it cannot stay there): ``none`` turns prepared statements off, as a pooler in transaction
    mode (PgBouncer before 1.21) needs; a number sets how many runs before a query is prepared."""
    parsed = make_url(url)
    value = parsed.query.get("prepare_threshold")
    if value is None:
        return url
    text = value if isinstance(value, str) else value[-1]
    connect_args["prepare_threshold"] = None if text.lower() in ("", "none") else int(text)
    return parsed.difference_update_query(["prepare_threshold"]).render_as_string(
        hide_password=False
    )


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defeats SAVEPOINT; let SQLAlchemy emit BEGIN itself
    # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            # WAL lets gunicorn workers read while one writes.
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


#: ``session.info`` key set once a session has sent a change to the database (a flush with
#: changes, or an INSERT, UPDATE, DELETE or raw SQL statement executed through it).
WROTE = "showcase.wrote"


def _note_flush(session: Session, _context: Any) -> None:
    session.info[WROTE] = True


def _note_statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[WROTE] = True


class Database:
    """The engine and session factory of one Flask app."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
        event.listen(self.sessionmaker, "after_flush", _note_flush)
        event.listen(self.sessionmaker, "do_orm_execute", _note_statement)

    def bind_to(self, bind: Any) -> None:
        """Point new sessions at ``bind`` (tests pass a connection inside an outer transaction)."""
        self.sessionmaker.configure(bind=bind, join_transaction_mode="create_savepoint")


def init_db(app: Flask) -> None:
    """Create the engine from ``DATABASE_URL`` and close the session after each app context."""
    app.extensions["showcase.db"] = Database(build_engine(app.config["DATABASE_URL"]))

    @app.after_request
    def _end_request_transaction(response: Response) -> Response:
        end_request_transaction(response.status_code)
        return response

    @app.teardown_request
    def _close_request_session(_exc: BaseException | None) -> None:
        session = request.__dict__.pop("_db_session", None)
        if session is not None:
            session.close()

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("_db_session", None)
        if session is not None:
            session.close()


#: Methods that never change anything: their transaction is rolled back, never committed.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def end_request_transaction(status_code: int) -> None:
    """The one place a request's changes are committed (indico's ``RH.process``, warehouse's
    pyramid_tm): a mutating request that succeeded (any status under 400) commits; anything
    else rolls back. Handlers and services only flush, so no handler can commit twice or forget
    to. A failing commit raises here, before the response is sent, and the error handlers
    answer for it (503 when the database is down), so a client never sees a success that was
    not saved. Handlers that must commit part-way (one file of a multi-file form at a time) call
    ``commit()`` themselves; what is left is committed here as usual."""
    session = request.__dict__.get("_db_session")
    if session is None:
        return
    if request.method not in SAFE_METHODS and status_code < 400:
        session.commit()
    elif session.info.get(WROTE) or status_code >= 400:
        session.rollback()
    else:
        # A read that wrote nothing ends with COMMIT, which is the same as a rollback for it,
        # because psycopg forgets every prepared statement of the connection on ROLLBACK
        # (psycopg/_preparing.py): ending reads that way would plan each query afresh.
        session.commit()


def get_database(app: Flask | None = None) -> Database:
    """The Database of ``app`` (default: the current app)."""
    return (app or current_app).extensions["showcase.db"]


def get_session() -> Session:
    """The session of the current request (or app context outside requests), made on first use.

    Keyed to the request rather than the app context because Flask reuses an already pushed
    app context for a request (CLI commands, tests): each request must still get its own.
    """
    holder = request.__dict__ if has_request_context() else g.__dict__
    session = holder.get("_db_session")
    if session is None:
        session = holder["_db_session"] = get_database().sessionmaker()
    return session


#: The current app context's session. Services and views only flush; the request's end commits.
session: Session = LocalProxy(get_session)  # type: ignore[assignment]


def lock_for_change(obj: Any, *also: Any) -> None:
    """Take ``obj``'s row lock, then those of ``also``, until the transaction ends; re-read them.

    Services call this before checking whether a change is still allowed: under READ COMMITTED
    a check on an already loaded object can miss a commit made since, and two changes that
    each pass their check would both land. FOR NO KEY UPDATE: rows that merely reference this
    one (new tags, new evidence) are not held up. SQLite, one writer at a time, renders no lock.

    Dependent rows need care too. Those reached through ``obj``'s collections after this call
    (a review's follow-ups, a showcase's items, an item's tags) are current: the re-read resets
    the collections, and reloading one re-reads its rows. A dependent object the caller already
    holds is not (the tag under review, loaded by the page before the lock): a check on it reads
    the row as it was, so a tag removed meanwhile could still be accepted. The caller names
    those in ``also``; they are locked as well as re-read. Re-reading them under ``obj``'s lock
    would do while every writer takes that lock first, as the services do; locking them too
    keeps the check true for a writer that does not, at one statement per class. The order is
    always ``obj`` first, then the others by id, the order in which writers update them after
    locking ``obj``, so this adds no deadlock. A dependent row deleted meanwhile is not re-read.
    """
    cls = type(obj)
    locked = session.get(
        cls,
        inspect(obj).identity,
        with_for_update={"of": cls, "key_share": True},
        populate_existing=True,
    )
    if locked is None:
        raise NoResultFound(f"{cls.__name__} {inspect(obj).identity} no longer exists")
    wanted: dict[type, set[Any]] = {}
    for other in also:
        identity = inspect(other).identity
        if identity is not None:  # one added in this transaction is current already
            wanted.setdefault(type(other), set()).add(identity[0])
    for other_cls, ids in wanted.items():
        mapper: Mapper[Any] = inspect(other_cls)
        (key,) = mapper.primary_key
        session.scalars(
            select(other_cls)
            .where(key.in_(sorted(ids)))
            .order_by(key)
            .with_for_update(of=other_cls, key_share=True)
            .execution_options(populate_existing=True)
        ).all()
