"""PostgreSQL for the services that outgrow one machine: a connection pool opened from a
``postgresql://`` URL, each service's tables in a PostgreSQL schema of its own with a version
table and migrations, and the database's failures turned into declared codes.

A service opens ``Database(url, Schema(name, migrations))`` once at start: the database is
reached (else ``database_unreachable``, one line naming the host and never the password), the
service's schema is created or upgraded under an advisory lock (several processes may start
at once), and a schema newer than this release is refused (``database_schema_newer``). Then
each request runs in ``transaction()``: one connection from the pool, one transaction,
committed at the end (``synchronous_commit`` is forced on, so a commit is durable before it
returns) or rolled back whole. A connection lost mid-request is ``database_lost``: a
retryable 503, the transaction rolled back by the server, nothing half-written. The pool
checks each connection before lending it, so after a database restart the next request gets a
fresh connection: the service recovers without a restart of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolTimeout

from civicid.errors import InvalidInput, StorageError, declare

DATABASE_URL_INVALID = declare(
    "database_url_invalid", InvalidInput, "not a postgresql:// URL the driver can read"
)
DATABASE_UNREACHABLE = declare(
    "database_unreachable", StorageError, "the database cannot be reached"
)
DATABASE_LOST = declare(
    "database_lost",
    StorageError,
    "the connection to the database was lost: the request was not completed; retry it",
)
DATABASE_SCHEMA_NEWER = declare(
    "database_schema_newer",
    StorageError,
    "the database holds a schema newer than this release: upgrade civicid",
)
DATABASE_SCHEMA_OLDER = declare(
    "database_schema_older",
    StorageError,
    "the database holds an older schema and this process may not upgrade it",
)
DATABASE_FAILED = declare("database_failed", StorageError, "the database refused a statement")

# A connection as the pool lends it (rows as tuples; a store asks for dict rows per cursor).
Conn = psycopg.Connection[TupleRow]

SCHEMES: Final = ("postgresql://", "postgres://")
SCHEMA_NAME: Final = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
# Seconds to wait for the database at start (and for a new connection later): a server on
# the same network answers in milliseconds; past this it is down or unreachable.
CONNECT_TIMEOUT: Final = 10
# Connections kept open per process: a request holds one only for its transaction, so a few
# serve many concurrent requests; PostgreSQL's own default max_connections is 100. None kept
# when idle: a connection is made when a request needs one, so after a database restart the
# first request connects at once instead of waiting out the pool's reconnection back-off.
POOL_MIN: Final = 0
POOL_MAX: Final = 10
# Seconds a request waits for a free connection from the pool (or a new one after the
# database restarted) before it is answered database_lost instead of hanging.
POOL_WAIT: Final = 15.0
# Seconds it waits instead once a wait ran out and no connection was had since: the database
# is known down, and a request making several calls would otherwise wait the full time at
# each (an issuer's offer took ~41 s to say database_lost, past its client's deadline).
DOWN_WAIT: Final = 1.0
# Seconds one statement may run: ours touch a few rows by key; a longer one is stuck on a
# lock or a sick server, and the client gets a retryable answer instead of a hang.
STATEMENT_TIMEOUT_MS: Final = 30_000


@dataclass(frozen=True, slots=True)
class Schema:
    """A service's tables: a PostgreSQL schema named ``name`` (``issuer``, ``verifier``,
    ``ledger``) and the SQL that builds it, one step per version: ``migrations[i]`` takes
    the schema from version ``i`` to ``i + 1``. A step once released is never edited."""

    name: str
    migrations: tuple[str, ...]

    def __post_init__(self) -> None:
        if not SCHEMA_NAME.fullmatch(self.name):
            raise ValueError(f"schema name {self.name!r} is not a lower-case identifier")

    @property
    def version(self) -> int:
        return len(self.migrations)


def parse_url(url: str) -> dict[str, str]:
    """The URL's connection parameters; ``database_url_invalid`` naming no password."""
    if not url.startswith(SCHEMES):
        raise DATABASE_URL_INVALID("a database URL starts with postgresql://")
    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    except psycopg.Error as exc:
        # The driver's message quotes the URL: its password is blanked there.
        message = scrub(str(exc), None).replace(url, redacted(url))
        for secret in _passwords(url):
            message = scrub(message, secret)
        raise DATABASE_URL_INVALID(f"the database URL cannot be read: {message}") from exc


# The password of a URL's user part, and of a ``password=`` parameter.
_USERINFO_PASSWORD: Final = re.compile(r"(//[^/@?#]*?:)([^/@?#]*)@")
_PASSWORD_PARAMETER: Final = re.compile(r"([?&]password=)([^&#]*)")


def _passwords(url: str) -> list[str]:
    found = [m.group(2) for p in (_USERINFO_PASSWORD, _PASSWORD_PARAMETER) for m in p.finditer(url)]
    return [s for text in found if text for s in {text, unquote(text)}]


def redacted(url: str) -> str:
    """``url`` with any password in it shown as ``***``."""
    url = _USERINFO_PASSWORD.sub(r"\1***@", url, count=1)
    return _PASSWORD_PARAMETER.sub(r"\1***", url)


def where(params: dict[str, str]) -> str:
    """``host:port/dbname`` for messages and logs: never the user's password."""
    host = params.get("host") or params.get("hostaddr") or "localhost"
    return f"{host}:{params.get('port') or 5432}/{params.get('dbname') or params.get('user', '')}"


def scrub(message: str, password: str | None) -> str:
    """A driver message as one line, with the password (if it shows) blanked."""
    line = " ".join(message.split())
    if password:
        line = line.replace(password, "***")
    return line


def durable_options(params: dict[str, str], schema: str) -> str:
    """Session settings every connection gets: the service's schema first on the search
    path, commits flushed to disk before they return, and a bound on each statement."""
    ours = (
        f"-c search_path={schema} -c synchronous_commit=on "
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    )
    return f"{params.get('options', '')} {ours}".strip()


class Database:
    """One service's PostgreSQL database: a pool of connections to ``url`` whose search path
    is ``schema.name``. With ``migrate`` (a process that writes) an older schema is upgraded;
    without it (a reader, maybe on a standby) it must already be current."""

    def __init__(
        self,
        url: str,
        schema: Schema,
        *,
        migrate: bool = True,
        min_size: int = POOL_MIN,
        max_size: int = POOL_MAX,
        connect_timeout: int = CONNECT_TIMEOUT,
        wait: float | None = None,
    ) -> None:
        params = parse_url(url)
        self.schema = schema
        self.where = where(params)
        self._password = params.get("password")
        self._kwargs: dict[str, str | int] = {
            "options": durable_options(params, schema.name),
            "connect_timeout": connect_timeout,
            "application_name": f"civicid-{schema.name}",
        }
        self._url = url
        self._wait = POOL_WAIT if wait is None else wait
        self._known_down = False  # a wait ran out, and no connection was had since
        with self._first_connection() as conn:
            if migrate:
                upgrade(conn, schema, self.where)
            else:
                require_current(conn, schema, self.where)
        self.pool: ConnectionPool[Conn] = ConnectionPool(
            url,
            # Autocommit: a read is one round trip; ``transaction()`` opens its own block.
            kwargs={**self._kwargs, "autocommit": True},
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=self._wait,
            # A connection broken by a database restart is found and replaced before a
            # request gets it, so the service recovers by itself.
            check=ConnectionPool.check_connection,
            name=f"civicid-{schema.name}",
        )
        self.pool.open(wait=False)

    def connect(self, *, autocommit: bool = False) -> Conn:
        """A connection of its own, outside the pool, with the pool's session settings: for
        a session that must outlive one transaction (one holding an advisory lock)."""
        try:
            return psycopg.connect(self._url, autocommit=autocommit, **self._kwargs)  # type: ignore[arg-type]  # str|int values are libpq's
        except psycopg.Error as exc:
            raise DATABASE_UNREACHABLE(
                f"cannot reach the database at {self.where}: {scrub(str(exc), self._password)}"
            ) from exc

    @contextmanager
    def _first_connection(self) -> Iterator[Conn]:
        conn = self.connect()
        try:
            yield conn
        except psycopg.Error as exc:
            raise self.translate(exc) from exc
        finally:
            conn.close()

    def translate(self, exc: psycopg.Error) -> StorageError:
        """Our code for a driver error: a lost connection (or one that could not be had, or
        a transient conflict the server resolved by rolling back) is ``database_lost``,
        worth retrying; anything else is ``database_failed``."""
        text = scrub(str(exc), self._password)
        if isinstance(
            exc,
            psycopg.OperationalError
            | psycopg.errors.SerializationFailure
            | psycopg.errors.DeadlockDetected,
        ):
            error = DATABASE_LOST(f"database at {self.where}: {text}; retry")
        else:
            error = DATABASE_FAILED(f"database at {self.where}: {text}")
        assert isinstance(error, StorageError)
        return error

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """One connection and one transaction: committed (durably) when the block ends,
        rolled back whole if it raises. Driver errors come out as our codes."""
        with self.read() as conn, conn.transaction():
            yield conn

    @contextmanager
    def read(self) -> Iterator[Conn]:
        """One connection, each statement on its own (autocommit): for reads that need no
        snapshot shared between statements. Driver errors come out as our codes."""
        wait = min(self._wait, DOWN_WAIT) if self._known_down else self._wait
        try:
            with self.pool.connection(timeout=wait) as conn:
                self._known_down = False
                yield conn
        except PoolTimeout as exc:
            self._known_down = True
            raise DATABASE_LOST(
                f"no connection to the database at {self.where} within {wait:g} s; retry"
            ) from exc
        except psycopg.Error as exc:
            raise self.translate(exc) from exc

    def close(self) -> None:
        self.pool.close()


def _version_table(schema: Schema) -> str:
    return f"{schema.name}.schema_version"


def current_version(conn: Conn, schema: Schema) -> int | None:
    """The schema's version in the database; None if it has no version table yet."""
    found = conn.execute("SELECT to_regclass(%s)", (_version_table(schema),)).fetchone()
    if found is None or found[0] is None:
        return None
    row = conn.execute(
        f"SELECT max(version) FROM {_version_table(schema)}"  # noqa: S608 - a checked identifier
    ).fetchone()
    return int(str(row[0])) if row is not None and row[0] is not None else 0


def upgrade(conn: Conn, schema: Schema, at: str) -> int:
    """Create or upgrade ``schema`` to this release's version in one transaction, under an
    advisory lock so that processes starting together migrate once; a newer one is refused."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"civicid:{schema.name}",))
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema.name}")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_version_table(schema)} ("
            "version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        version = current_version(conn, schema) or 0
        if version > schema.version:
            raise DATABASE_SCHEMA_NEWER(
                f"the {schema.name} schema in the database at {at} is version {version}; "
                f"this release knows versions up to {schema.version}: upgrade civicid"
            )
        for number, step in enumerate(schema.migrations[version:], start=version + 1):
            conn.execute(step.encode("utf-8"))
            conn.execute(
                f"INSERT INTO {_version_table(schema)} (version) VALUES (%s)",  # noqa: S608
                (number,),
            )
    return schema.version


def require_current(conn: Conn, schema: Schema, at: str) -> None:
    """A process that may not migrate (a reader, a standby) needs the schema as it is."""
    version = current_version(conn, schema)
    conn.rollback()
    if version is not None and version > schema.version:
        raise DATABASE_SCHEMA_NEWER(
            f"the {schema.name} schema in the database at {at} is version {version}; "
            f"this release knows versions up to {schema.version}: upgrade civicid"
        )
    if version != schema.version:
        raise DATABASE_SCHEMA_OLDER(
            f"the {schema.name} schema in the database at {at} is version {version or 0}, "
            f"this release needs {schema.version}: start a writing process to upgrade it"
        )
