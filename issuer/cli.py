"""``civicid issuer …``: set up, serve, clerks, recovery; and the commands that drive a running
issuer's staff API (issuer/staff_cli.py). Thin: call, then print."""

from __future__ import annotations

import re
import time
from typing import Annotated, Final

import typer

from civicid.clock_check import check_clock
from civicid.console import (
    LEDGER_URLS_HELP,
    AsJson,
    DatabaseUrl,
    DataDir,
    emit,
    inert,
    reflowed,
    reporting,
)
from civicid.keystore import KeyStore
from civicid.ledger_client import forget_checkpoint_command
from civicid.settings import DEFAULT_HOST, ISSUER_PORT
from civicid.times import rfc3339
from civicid.words import counted
from issuer.agency import TRUST_FILE
from issuer.records import SCOPES
from issuer.recovery import Recovered, recover
from issuer.rules_cli import app as rules_app
from issuer.settings import DEFAULT_STATUS_INTERVAL, ConfigurationSettings, IssuerSettings
from issuer.setup import add_clerk as make_clerk
from issuer.setup import initialize, list_clerks
from issuer.setup import remove_clerk as drop_clerk
from issuer.staff_cli import register_staff_commands
from issuer.stores import check_store

app = typer.Typer(
    help="The agency's issuer: OpenID4VCI for wallets, a staff API, status lists on the ledger.",
    no_args_is_help=True,
)

CHECKPOINT_KEY_NAME: Final = "ledger-checkpoint"  # where `civicid ledger init` keeps the vkey


def config_id(vct: str) -> str:
    """A configuration id from a vct: its last path segment, in the allowed characters."""
    tail = vct.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]", "_", tail)[:64] or "credential"


@app.command()
@reflowed
def init(
    data_dir: DataDir,
    vct: Annotated[
        list[str], typer.Option("--vct", help="A registered credential type to issue (repeat).")
    ],
    identity: Annotated[
        str, typer.Option(help="Key store name of the agency identity (ledger register NAME).")
    ] = "agency",
    public_url: Annotated[
        str | None,
        typer.Option(
            help="Public https URL: issuer id, status list base.",
            show_default=IssuerSettings.model_fields["public_url"].default,
        ),
    ] = None,
    ledger_url: Annotated[
        str | None,
        typer.Option(
            help=LEDGER_URLS_HELP, show_default=IssuerSettings.model_fields["ledger_url"].default
        ),
    ] = None,
    checkpoint_key: Annotated[
        str | None,
        typer.Option(help="The ledger's checkpoint key (vkey).", show_default="the key store's"),
    ] = None,
    validity_days: Annotated[
        int, typer.Option(min=1, metavar="<days>", help="Credential validity, in days.")
    ] = 365,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100, metavar="<n>", help="Copies per request.")
    ] = 4,
    status_interval: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="<seconds>",
            help="Seconds between status publications.",
            show_default=str(DEFAULT_STATUS_INTERVAL),
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing issuer.toml.")
    ] = False,
    recover: Annotated[
        bool,
        typer.Option(
            "--recover", help="Rebuild a lost store from the ledger's lists (see recover)."
        ),
    ] = False,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Bind an issuer to the agency's ledger identity and credential types.

    Checked on the ledger first (type registered, agency accredited, key in force); then the
    settings are written to <data-dir>/issuer.toml and the first status list is published.
    Refused if the ledger already holds lists under the public URL: recover them instead.
    """
    with reporting(as_json):
        if checkpoint_key is None:
            keys = KeyStore(data_dir / "keys")
            if keys.exists(CHECKPOINT_KEY_NAME):
                checkpoint_key = keys.text(CHECKPOINT_KEY_NAME, "vkey")
        configurations = [
            ConfigurationSettings(
                id=config_id(v), vct=v, validity_days=validity_days, batch_size=batch_size
            )
            for v in vct
        ]
        done = initialize(
            data_dir,
            configurations=configurations,
            force=force,
            identity=identity,
            public_url=public_url,
            ledger_url=ledger_url,
            checkpoint_key=checkpoint_key,
            status_interval=status_interval,
            recover=recover,
            database_url=database_url,
        )
        if done.recovered is not None:
            emit(as_json, done.to_json(), lambda: recovery_summary(done.recovered))
            return
        emit(
            as_json,
            done.to_json(),
            lambda: "\n".join(
                [
                    f"issuer for {done.did} set up in {data_dir / 'issuer.toml'}",
                    f"  public URL    {done.settings.public_url}",
                    *(
                        f"  {c.id:<13} {c.vct} ({done.accreditations[c.id]})"
                        for c in done.settings.credential_configurations
                    ),
                    f"  status list   {done.first_list.uri} "
                    f"(entry {done.first_list.published_seq})",
                    "next: civicid issuer add-clerk NAME --scope issue, then civicid issuer serve",
                ]
            ),
        )


@app.command()
def serve(
    data_dir: DataDir,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on.", show_default=DEFAULT_HOST)
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="TCP port to listen on.", show_default=str(ISSUER_PORT))
    ] = None,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve OpenID4VCI and the staff API (OpenAPI at /docs); publishes status on a timer."""
    from civicid.shell.server import listen, serve, server_config
    from issuer.app import create_app
    from issuer.rule_requests import check_kept

    with reporting(False):
        settings = IssuerSettings.load(data_dir, host=host, port=port, database_url=database_url)
        check_clock(data_dir, [settings.store_dir], time.time())
        check_store(settings)  # refused here, in one line, not in the lifespan
        check_kept(settings.store_dir)  # the file of rule requests, likewise
        sock = listen(settings.host, settings.port, option="--port")
        try:
            serve(server_config(settings, create_app(settings), access_log=access_log), sock)
        finally:
            sock.close()


@app.command("add-clerk")
def add_clerk(
    name: Annotated[str, typer.Argument(help="The clerk's name, as the audit log shows it.")],
    data_dir: DataDir,
    scope: Annotated[list[str], typer.Option("--scope", help=f"Repeat: {', '.join(SCOPES)}.")],
    as_json: AsJson = False,
) -> None:
    """Make a clerk and its API key; the key is shown once and stored only as a hash."""
    with reporting(as_json):
        settings = IssuerSettings.load(data_dir)
        made = make_clerk(settings, name, scope)
        emit(
            as_json,
            {**made.clerk.to_json(), "apiKey": made.api_key},
            lambda: (
                f"clerk {name} ({', '.join(made.clerk.scopes)}); API key, shown once:\n"
                f"{made.api_key}"
            ),
        )


@app.command("remove-clerk")
def remove_clerk(
    name: Annotated[str, typer.Argument(help="The clerk's name, as `clerks` lists it.")],
    data_dir: DataDir,
    as_json: AsJson = False,
) -> None:
    """Take a clerk away: its API key is refused at once, by a running issuer too."""
    with reporting(as_json):
        removed = drop_clerk(IssuerSettings.load(data_dir), name)
        emit(
            as_json,
            {**removed.to_json(), "removed": True},
            f"clerk {inert(name)} removed; its API key is refused from now on",
        )


@app.command("clerks")
def clerks(data_dir: DataDir, as_json: AsJson = False) -> None:
    """List the clerks: name, scopes, since when (never a key)."""
    with reporting(as_json):
        found = list_clerks(IssuerSettings.load(data_dir))
        emit(
            as_json,
            {"clerks": [c.to_json() for c in found]},
            lambda: "\n".join(
                [counted(len(found), "clerk", "clerks")]
                + [
                    f"  {inert(c.name):<20} {', '.join(c.scopes):<20} since {rfc3339(c.created)}"
                    for c in found
                ]
            ),
        )


register_staff_commands(app)
app.add_typer(rules_app, name="rules")


def recovery_summary(done: Recovered | None) -> str:
    assert done is not None
    lists = counted(len(done.lists), "status list", "status lists")
    lines = [f"{lists} recovered from the ledger for {done.did}"]
    lines += [
        f"  {f.uri}  entry {f.seq}: {f.revoked} revoked, {f.suspended} suspended (kept)"
        for f in done.lists
    ]
    lines += [
        f"new credentials go to {done.fresh.uri}; no index of a recovered list is used again",
        "credentials, offers and clerks were in the lost store: recovered statuses stay as "
        "they are; add clerks again (civicid issuer add-clerk NAME --scope ...)",
    ]
    return "\n".join(lines)


@app.command("recover")
@reflowed
def recover_store(
    data_dir: DataDir, database_url: DatabaseUrl = None, as_json: AsJson = False
) -> None:
    """Rebuild a lost issuer store from the status lists on the ledger.

    Every list is read with its proofs and kept as it is (revoked and suspended entries
    stay so), republished, and closed: new credentials go to a fresh list. Needs
    <data-dir>/issuer.toml and the agency key; refused while the store is there.
    """
    with reporting(as_json):
        done = recover(IssuerSettings.load(data_dir, database_url=database_url))
        emit(as_json, done.to_json(), lambda: recovery_summary(done))


@app.command("forget-witnesses")
@reflowed
def forget_witnesses(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Forget the witness policy this issuer ran under, to trust the ledger's signature alone.

    Without it, an issuer that accepted checkpoints under a witness policy refuses to start
    with none (witness_policy_lost): a lost issuer.toml is not a choice to drop witnesses."""
    with reporting(as_json):
        settings = IssuerSettings.load(data_dir, required=False)  # issuer.toml may be lost
        data, text = settings.forget_witnesses(settings.store_dir / TRUST_FILE)
        emit(as_json, data, text)


@app.command("forget-checkpoint")
@reflowed
def forget_checkpoint(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Forget the ledger checkpoint this issuer trusted, to trust the ledger's next on first use.

    Without it, an issuer that trusted a checkpoint and lost the file that keeps it refuses
    to start (trust_file_lost): a lost file is not a first run, and would let a rolled-back or
    forked ledger pass. Restore the file from a backup if there is one."""
    with reporting(as_json):
        settings = IssuerSettings.load(data_dir, required=False)  # issuer.toml may be lost
        emit(as_json, *forget_checkpoint_command(settings.store_dir / TRUST_FILE))
