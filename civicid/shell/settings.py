"""The settings base every part's settings build on: one typed object, read from (strongest
first) command-line flags, the environment (``CIVICID_<PART>_*``), the file
``<data-dir>/<part>.toml``, and safe defaults; and written back to that file.

``ServiceSettings`` adds what every HTTP service has: the interface it listens on and the
limits its server holds every client to (``civicid/shell/server.py``).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from civicid.checkpoint_policy import DEFAULT_MAX_AGE, TRUST_POLICY_INVALID, CheckpointPolicy
from civicid.errors import Code
from civicid.files import read_bounded
from civicid.keystore import write_private
from civicid.ledger_client import forget_kept_policy, kept_policy_file
from civicid.settings import DEFAULT_HOST, default_data_dir
from civicid.shell.hosts import MAX_ALLOWED_HOSTS, allowed_names, served_names

# The server limits are not written by ``rewrite``: a file holding today's defaults would keep
# them when a release changes them. An operator sets them in the file by hand, or in the env.
SERVER_LIMITS: Final = (
    "max_connections",
    "max_header_bytes",
    "header_timeout",
    "body_timeout",
    "keep_alive",
)
# Every service reads its database from here unless its own ``CIVICID_<PART>_DATABASE_URL``
# (or ``--database-url``) names another: one variable puts a whole deployment on PostgreSQL.
DATABASE_URL_ENV: Final = "CIVICID_DATABASE_URL"
# Never written to the settings file by ``rewrite``: the URL may carry a password, and a URL
# given by the environment at ``init`` must not be frozen into the file.
# A month: a desk offline for longer must sync again, whatever its policy says.
MAX_CHECKPOINT_AGE: Final = 30 * 86400
NOT_REWRITTEN: Final = ("data_dir", "database_url", *SERVER_LIMITS)
# A settings file is a few dozen lines written by ``init`` or by hand; a megabyte is far past
# any real one and stops a huge or endless file (``/dev/zero``) from being read whole.
MAX_SETTINGS_BYTES: Final = 1 << 20
# How many last steps of a moved witness policy's path are looked for under the data dir
# (and its parent): up's is ../stack/<file>, two steps.
MOVED_POLICY_STEPS: Final = 3


class FileSettings(BaseSettings):
    """A part's settings: ``part`` names its file and ``invalid`` the code a bad one gets."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    part: ClassVar[str]
    invalid: ClassVar[Code]
    # What ``rewrite`` writes (None: every setting but the data directory and server limits).
    saved: ClassVar[tuple[str, ...] | None] = None

    data_dir: Path = Field(default_factory=default_data_dir)

    @classmethod
    def file_in(cls, data_dir: Path) -> Path:
        return data_dir / f"{cls.part}.toml"

    @classmethod
    def load(cls, data_dir: Path, **flags: Any) -> Self:
        """Settings for ``data_dir``; ``flags`` that are not None win over everything."""
        path = cls.file_in(data_dir)
        from_file = cls.read_file(data_dir)
        given = {k: v for k, v in flags.items() if v is not None}
        prefix = str(cls.model_config.get("env_prefix", ""))

        def from_environment(name: str) -> str:
            return f"from {prefix}{name.upper()}"

        # A value is blamed on where it came from: a flag or a variable is not the file's.
        with cls.refusing(path, source=from_environment):
            from_env = cls(data_dir=data_dir)
        env = {k: getattr(from_env, k) for k in from_env.model_fields_set - {"data_dir"}}
        sources = {
            **{name: from_environment(name) for name in env},
            **{name: "given on the command line" for name in given},
        }
        with cls.refusing(path, source=sources.get):
            return cls(**{**from_file, **env, **given, "data_dir": data_dir})

    @classmethod
    def read_file(cls, data_dir: Path) -> dict[str, Any]:
        """What the file holds (nothing if there is no file), unvalidated."""
        path = cls.file_in(data_dir)
        with cls.refusing(path):
            if not os.path.lexists(path):
                return {}
            if not path.exists():  # a link that leads nowhere is damage, not absence
                raise cls.invalid(
                    f"{cls.part} settings ({path}): a link to {os.readlink(path)}, which is"
                    " missing: restore the file it leads to, or remove the link"
                )
            raw = read_bounded(
                path,
                MAX_SETTINGS_BYTES,
                too_large=cls.invalid,
                message=f"{cls.part} settings ({path}): over {MAX_SETTINGS_BYTES} bytes",
                not_regular=cls.invalid,
            )
            return tomllib.loads(raw.decode("utf-8"))

    @classmethod
    def write(cls, data_dir: Path, values: Mapping[str, Any], *, keep: bool = True) -> Path:
        """Write ``values`` to the file (0600), over what it holds if ``keep``, else instead
        of it; the result is validated first, so a file written here always loads."""
        path = cls.file_in(data_dir)
        data = {**(cls.read_file(data_dir) if keep else {}), **values}
        with cls.refusing(path):
            cls(**{**data, "data_dir": data_dir})
        write_private(path, to_toml(data, cls.header()).encode("utf-8"))
        return path

    @classmethod
    def header(cls) -> str:
        prefix = cls.model_config.get("env_prefix", "")
        return f"# civicid {cls.part} settings (flags > {prefix}* > this file > defaults)"

    def to_toml(self) -> str:
        """The file ``rewrite`` writes: the settings ``saved`` names that have a value."""
        names = self.saved or tuple(
            name for name in type(self).model_fields if name not in NOT_REWRITTEN
        )
        data = self.model_dump(mode="json", include=set(names), exclude_none=True)
        return to_toml({name: data[name] for name in names if name in data}, self.header())

    def save(self, **values: Any) -> Self:
        """Set ``values`` in the file (those that are None are left as they are), keeping
        what else it holds (a person's own edits stay); the settings as loaded again."""
        self.write(self.data_dir, {k: v for k, v in values.items() if v is not None})
        return self.load(self.data_dir)

    def rewrite(self) -> Path:
        """Replace the file with ``to_toml`` (0600): what ``init`` binds."""
        path = self.file_in(self.data_dir)
        write_private(path, self.to_toml().encode("utf-8"))
        return path

    @classmethod
    @contextmanager
    def refusing(
        cls, path: Path, *, source: Callable[[str], str | None] | None = None
    ) -> Iterator[None]:
        """Turns what can go wrong reading or checking the file into the part's code.
        ``source``: where a setting's value came from when not from the file (a flag, a
        variable; None: the file or the default), named instead of the file."""
        where = f"{cls.part} settings ({path})"
        try:
            yield
        except tomllib.TOMLDecodeError as exc:
            raise cls.invalid(f"{where}: not TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise cls.invalid(f"{where}: not UTF-8 text: {exc.reason}") from exc
        except RecursionError as exc:  # tomllib recurses once per level of nesting
            raise cls.invalid(f"{where}: not TOML: nested too deeply") from exc
        except ValidationError as exc:
            problems, from_file = [], False
            for e in exc.errors():
                loc = ".".join(str(p) for p in e["loc"]) or "(top)"
                came = source(str(e["loc"][0])) if source and e["loc"] else None
                from_file = from_file or came is None
                # A validator's own words, without the "Value error, " pydantic puts first.
                msg = e["msg"].removeprefix("Value error, ")
                problems.append(f"{loc}{f' ({came})' if came else ''}: {msg}")
            said = where if from_file else f"{cls.part} settings"
            raise cls.invalid(f"{said}: {'; '.join(problems)}") from exc
        except OSError as exc:
            raise cls.invalid(f"{where}: {exc.strerror or exc}") from exc


class ServiceSettings(FileSettings):
    """An HTTP service's settings: where it listens, and the limits of its server."""

    host: str = DEFAULT_HOST
    # Connections held at once (with those of the other services in the process, and below
    # its file-descriptor limit): past this the longest-idle one is closed to make room, or,
    # if every one is busy, the newcomer is answered 503 at once instead of queueing.
    max_connections: int = Field(default=256, ge=1, le=100_000)
    # Bytes of request line and headers buffered before a request is refused: ours are small.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    # Seconds a client may take to send a request's line and headers, from its first byte
    # (or from connecting): past this the connection is closed.
    header_timeout: float = Field(default=10.0, gt=0, le=600)
    # Seconds a client may take to send a whole request body, from the end of its head.
    body_timeout: float = Field(default=10.0, gt=0, le=600)
    # Seconds an idle keep-alive connection is held open.
    keep_alive: float = Field(default=5.0, gt=0, le=600)
    # A PostgreSQL database (``postgresql://user:password@host:port/dbname``) shared by every
    # process of this service; None: the embedded store in the data directory.
    database_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("a database URL starts with postgresql://")
        return value

    @classmethod
    def load(cls, data_dir: Path, **flags: Any) -> Self:
        """As ``FileSettings.load``; the database URL also from ``CIVICID_DATABASE_URL``,
        below the flag and the part's own variable, above the file."""
        prefix = cls.model_config.get("env_prefix", "")
        shared = os.environ.get(DATABASE_URL_ENV)
        own = os.environ.get(f"{prefix}DATABASE_URL")
        if flags.get("database_url") is None and own is None and shared:
            flags = {**flags, "database_url": shared}
        return super().load(data_dir, **flags)


class HostNames(FileSettings):
    """The names a service answers to besides its own (``civicid/shell/hosts.py``): mixed into
    the settings of a service that checks the request's Host (with ``ServiceSettings``)."""

    # Whether Host is checked when ``allowed_hosts`` is not set: the desk always checks it;
    # the issuer's check is opt-in (its operators' proxies predate it).
    checks_host_unless_allowed: ClassVar[bool] = True

    # Host names besides the public URL's, the address bound and the loopback names: those a
    # reverse proxy in front of the service passes on.
    allowed_hosts: list[str] | None = Field(default=None, max_length=MAX_ALLOWED_HOSTS)

    if TYPE_CHECKING:
        host: str  # ServiceSettings's, with which this is mixed in (not a field of its own)

    def served_names(self, public_url: str) -> frozenset[str] | None:
        """The names the service at ``public_url`` answers to (``hosts.served_names``): that
        URL's host, the address bound, the loopback names (``civicid up`` and ``civicid
        demo`` reach it by 127.0.0.1, and so does a reverse proxy forwarding to that address)
        and ``allowed_hosts``. None (it answers any name) when its check is opt-in and no
        ``allowed_hosts`` is set."""
        if self.allowed_hosts is None and not self.checks_host_unless_allowed:
            return None
        return served_names(public_url, self.host, self.allowed_hosts or ())

    @field_validator("allowed_hosts")
    @classmethod
    def _allowed_hosts(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else allowed_names(value)


def to_toml(data: Mapping[str, Any], header: str | None = None) -> str:
    """TOML text for plain settings data: values first, then lists of tables."""
    lines = [header] if header else []
    tables = {k: v for k, v in data.items() if _is_table_list(v)}
    lines += [f"{key} = {toml_value(value)}" for key, value in data.items() if key not in tables]
    for key, rows in tables.items():
        for row in rows:
            lines += ["", f"[[{key}]]"]
            lines += [f"{name} = {toml_value(v)}" for name, v in row.items() if v is not None]
    return "\n".join(lines) + "\n"


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def toml_value(value: Any) -> str:
    """A TOML value for what settings hold (strings, numbers, booleans, arrays, tables):
    JSON's string escapes are TOML's basic-string escapes, so JSON text is valid TOML here."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value)
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def moved_policy(named: Path, settings_file: Path) -> str:
    """Why an absolute ``witness_policy`` that is not there fails, and the fix: data dirs
    made before the setting was written relative to them name the policy where they were
    made, gone once the data dir is moved or copied. Names the file found under the data
    dir (or its parent, where ``civicid up`` keeps it) by the same last path steps."""
    data_dir = settings_file.parent
    found = next(
        (
            base / Path(*named.parts[-steps:])
            for steps in range(1, min(len(named.parts) - 1, MOVED_POLICY_STEPS) + 1)
            for base in (data_dir, data_dir.parent)
            if (base / Path(*named.parts[-steps:])).is_file()
        ),
        None,
    )
    fix = (
        f'set witness_policy = "{os.path.relpath(found, data_dir)}" there (relative to the'
        " data dir, which is where it is read from)"
        if found is not None
        else f"set witness_policy there to the policy's path relative to {data_dir}"
    )
    return (
        f"witness_policy in {settings_file} is {named}, which is not there (the data dir was"
        f" moved or copied since it was written?): {fix}"
    )


class WitnessedLedger(FileSettings):
    """What a client of the ledger requires of its checkpoints beyond the pinned key
    (``civicid/checkpoint_policy.py``): mixed into the issuer's, desk's and wallet's settings."""

    # A C2SP tlog-policy file (relative to the data dir): the witnesses whose cosignatures
    # count and the quorum a checkpoint needs. None: the ledger's signature alone.
    witness_policy: Path | None = None
    # Seconds the newest witness quorum of a checkpoint may be old (with a witness policy).
    checkpoint_max_age: int = Field(default=DEFAULT_MAX_AGE, ge=1, le=MAX_CHECKPOINT_AGE)

    def checkpoint_policy(self) -> CheckpointPolicy:
        """The policy the ledger client holds every checkpoint to (read from its file)."""
        if self.witness_policy is None:
            return CheckpointPolicy(max_age=self.checkpoint_max_age)
        path = self.data_dir / self.witness_policy  # an absolute path stays itself
        if self.witness_policy.is_absolute() and not os.path.lexists(path):
            raise TRUST_POLICY_INVALID(
                moved_policy(self.witness_policy, self.file_in(self.data_dir))
            )
        return CheckpointPolicy.load(path, max_age=self.checkpoint_max_age)

    def forget_witnesses(self, trust_file: Path) -> tuple[dict[str, Any], str]:
        """Forget the witness policy the client of ``trust_file`` kept (``forget-witnesses``):
        the one way to let it trust the ledger's signature alone again. What was done, as
        data and as a line to print."""
        path = kept_policy_file(trust_file)
        forgotten = forget_kept_policy(trust_file)
        named = None if self.witness_policy is None else str(self.witness_policy)
        data = {"forgotten": forgotten, "file": str(path), "witness_policy": named}
        if not forgotten:
            return data, f"no witness policy was kept ({path}): nothing to forget"
        if self.witness_policy is not None:
            return data, (
                f"forgot {path}; witness_policy is set ({named}): it is kept"
                " again at the next checkpoint accepted"
            )
        return data, f"forgot {path}: from now on the ledger's signature alone is trusted"
