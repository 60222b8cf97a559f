"""Which store an issuer opens: PostgreSQL when its settings name a database (several issuer
processes share it), else the SQLite file in its data directory (one serving process)."""

from __future__ import annotations

from civicid.errors import Error
from issuer.errors import STORE_MISSING
from issuer.settings import IssuerSettings
from issuer.store import DB_FILE, IssuerStore, SqliteStore, require_store


def open_store(
    settings: IssuerSettings, *, exclusive: bool = True, create: bool = False
) -> IssuerStore:
    """The issuer's store. ``exclusive`` (a serving process) holds the SQLite file's lock;
    a database is shared by design. Only with ``create`` (``init``, ``recover``) is a missing
    store made; else ``issuer_store_missing``, with nothing written."""
    if settings.database_url is None:
        return SqliteStore(settings.store_dir, exclusive=exclusive, create=create)
    # Imported only here: an issuer on its embedded store never loads the database driver.
    from issuer.pg_store import PgStore

    return PgStore(settings.database_url, create=create)


def store_exists(settings: IssuerSettings) -> bool:
    """Whether the issuer's store is there: its SQLite file, or a database holding it."""
    if settings.database_url is None:
        return (settings.store_dir / DB_FILE).exists()
    try:
        open_store(settings, exclusive=False).close()
    except Error as exc:
        if STORE_MISSING.matches(exc):
            return False
        raise
    return True


def require_store_of(settings: IssuerSettings) -> None:
    """Refuse early (before a port is opened) when the embedded store is missing; a
    database's store is checked when it is opened."""
    if settings.database_url is None:
        require_store(settings.store_dir)


def check_store(settings: IssuerSettings) -> None:
    """Refuse before a port is opened, in one line: a missing, damaged or locked SQLite store
    (another issuer serving it, its lock file no file); or a database that cannot be
    reached, holds a newer schema, or holds no issuer store. The SQLite store is opened as the
    serving process opens it, lock and checks included, and closed again; a database is
    shared, so nothing is held."""
    open_store(settings).close()
