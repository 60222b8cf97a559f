"""``civicid witness …``: create, serve and inspect a witness. Thin: calls, then prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from civicid.console import AsJson, DataDir, emit, inert, reflowed, reporting, stderr
from civicid.settings import DEFAULT_HOST, WITNESS_PORT
from civicid.tlog_policy import TlogPolicy
from ledger.witness.errors import WITNESS_SETTINGS_INVALID
from ledger.witness.models import WitnessStatus
from ledger.witness.settings import LogSetting, WitnessSettings
from ledger.witness.setup import (
    add_log,
    initialize,
    log_setting,
    never_cosigned,
    open_witness,
    read_status,
)

app = typer.Typer(
    help="A witness: cosigns a log's checkpoints only while the log only grows.",
    no_args_is_help=True,
)

LogKeys = Annotated[
    list[str] | None,
    typer.Option(
        "--log",
        help="A log to follow, by its checkpoint key (vkey); its origin is the key's name. "
        "Repeat for more logs.",
        show_default=False,
    ),
]
PolicyFile = Annotated[
    Path | None,
    typer.Option(
        "--logs-from",
        help="Follow every log a trust policy file (C2SP tlog-policy) lists.",
        show_default=False,
    ),
]


def _logs(keys: list[str] | None, policy: Path | None) -> list[LogSetting]:
    logs = [log_setting(vkey) for vkey in keys or ()]
    if policy is not None:
        try:
            text = policy.read_bytes()
        except OSError as exc:
            raise WITNESS_SETTINGS_INVALID(f"{policy}: {exc.strerror or exc}") from exc
        logs += [log_setting(log.vkey, log.origin) for log in TlogPolicy.parse(text).logs]
    return logs


@app.command()
@reflowed
def init(
    data_dir: DataDir,
    name: Annotated[
        str,
        typer.Option(help="The witness's name in its cosignatures (a schema-less URL)."),
    ],
    log: LogKeys = None,
    logs_from: PolicyFile = None,
    as_json: AsJson = False,
) -> None:
    """Create a witness: its cosigning key (0600) and the logs it follows
    (<data-dir>/witness.toml)."""
    with reporting(as_json):
        key = initialize(data_dir, name, _logs(log, logs_from))
        settings = WitnessSettings.load(data_dir)
        data = {
            "name": key.name,
            "vkey": key.vkey(),
            "logs": [s.model_dump() for s in settings.logs],
        }
        emit(
            as_json,
            data,
            lambda: "\n".join(
                [
                    f"witness {inert(key.name)} created in {data_dir}",
                    f"  cosigner key  {key.vkey()}",
                    *(f"  follows       {inert(s.origin)}" for s in settings.logs),
                ]
            ),
        )


@app.command("add-log")
def add_log_command(
    data_dir: DataDir,
    vkey: Annotated[str, typer.Argument(help="The log's checkpoint key (vkey).")],
    origin: Annotated[
        str | None,
        typer.Option(help="The log's origin line.", show_default="the key's name"),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Follow one more log (takes effect when the witness next starts)."""
    with reporting(as_json):
        settings = add_log(data_dir, log_setting(vkey, origin))
        added = settings.logs[-1]
        emit(as_json, added.model_dump(), f"witness follows {inert(added.origin)}")


@app.command()
@reflowed
def serve(
    data_dir: DataDir,
    host: Annotated[
        str | None,
        typer.Option(help="Interface to listen on.", show_default=DEFAULT_HOST),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="TCP port to listen on.", show_default=str(WITNESS_PORT)),
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the witness over HTTP (POST /add-checkpoint; OpenAPI at /docs).

    A key found without the records of what it cosigned is refused
    (witness_state_unreadable): restore them from a backup, or, if this witness never
    cosigned anything, say so with `civicid witness never-cosigned`."""
    from civicid.shell.server import listen, serve, server_config
    from ledger.witness.app import create_app
    from ledger.witness.request import MAX_REQUEST_BYTES

    with reporting(False):
        settings = WitnessSettings.load(data_dir, host=host, port=port)
        # The data dir first: no witness there is said before a port another program holds.
        witness = open_witness(settings)
        try:
            sock = listen(settings.host, settings.port, option="--port")
        except BaseException:
            witness.close()
            raise
        try:
            url = f"http://{settings.host}:{sock.getsockname()[1]}"
            stderr(
                f"witness {inert(witness.key.name)}: {len(witness.logs)} log(s), data in "
                f"{data_dir}\nserving on {url} (API description at {url}/docs); Ctrl-C stops"
            )
            app = create_app(settings, witness=witness)
            config = server_config(
                settings, app, access_log=access_log, max_body_bytes=MAX_REQUEST_BYTES
            )
            serve(config, sock)
        finally:
            witness.close()


@app.command()
@reflowed
def status(data_dir: DataDir, as_json: AsJson = False) -> None:
    """What the witness cosigned last for each log, and any evidence of a log that
    contradicted itself.

    A key found without the records of what it cosigned is refused
    (witness_state_unreadable): see `civicid witness never-cosigned`."""
    with reporting(as_json):
        found = read_status(WitnessSettings.load(data_dir))
        emit(as_json, found.to_json(), lambda: _summary(found))


@app.command("never-cosigned")
@reflowed
def never_cosigned_command(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Say that this witness never cosigned anything, so that its key, found without the
    records of what it cosigned, may start from nothing.

    Only for a witness that truly never answered: one that did and lost its records would
    then cosign a fork of what it cosigned before. Refused (witness_has_records) where any
    record or list of records is found."""
    with reporting(as_json):
        written = never_cosigned(data_dir)
        emit(
            as_json,
            {"written": written},
            "this witness never cosigned: it starts from nothing"
            if written
            else "this witness says so already: nothing to do",
        )


def _summary(found: WitnessStatus) -> str:
    lines = [f"witness {inert(found.name)}", f"  cosigner key  {found.vkey}"]
    for log in found.logs:
        lines.append(f"  log {inert(log.origin)}: last cosigned size {log.tree_size:,}")
    if not found.logs:
        lines.append("  follows no log yet (civicid witness add-log)")
    for piece in found.evidence:
        lines.append(
            f"  EVIDENCE {piece.id}: log {inert(piece.origin)} signed conflicting checkpoints "
            f"({piece.kind})"
        )
    if not found.evidence:
        lines.append("  no evidence of equivocation")
    return "\n".join(lines)
