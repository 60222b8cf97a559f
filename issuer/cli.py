"""``civicid issuer …``: set up, serve, add clerks; and drive a running issuer's staff API
(offers one by one or from a CSV file, status changes, publication). Thin: call, then print."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from civicid.console import AsJson, DataDir, emit, inert, reflowed, reporting
from civicid.errors import Error
from civicid.http import HttpClient
from civicid.keystore import KeyStore
from civicid.settings import DEFAULT_HOST, ISSUER_PORT
from civicid.times import rfc3339
from issuer import qr
from issuer.batch import HandOver, claims_from_row, read_rows
from issuer.errors import (
    CLAIMS_FILE_INVALID,
    CONFIGURATION_UNKNOWN,
    STAFF_KEY_MISSING,
)
from issuer.records import SCOPES
from issuer.recovery import Recovered, recover
from issuer.settings import DEFAULT_STATUS_INTERVAL, ConfigurationSettings, IssuerSettings
from issuer.setup import add_clerk as make_clerk
from issuer.setup import initialize, list_clerks
from issuer.setup import remove_clerk as drop_clerk
from issuer.store import require_store

app = typer.Typer(
    help="The agency's issuer: OpenID4VCI for wallets, a staff API, status lists on the ledger.",
    no_args_is_help=True,
)

CHECKPOINT_KEY_NAME: Final = "ledger-checkpoint"  # where `civicid ledger init` keeps the vkey
API_KEY_ENV: Final = "CIVICID_ISSUER_API_KEY"

Url = Annotated[
    str | None,
    typer.Option(
        "--url", help="The running issuer.", show_default="http://<host>:<port> of the settings"
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", envvar=API_KEY_ENV, help="A clerk's API key.", show_default=False),
]
Config = Annotated[
    str | None,
    typer.Option("--config", help="Credential configuration id.", show_default="the only one"),
]


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
            help="The ledger's URL.", show_default=IssuerSettings.model_fields["ledger_url"].default
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
) -> None:
    """Serve OpenID4VCI and the staff API (OpenAPI at /docs); publishes status on a timer."""
    import uvicorn

    from issuer.app import create_app

    with reporting(False):
        settings = IssuerSettings.load(data_dir, host=host, port=port)
        require_store(settings.store_dir)  # refused here, in one line, not in the lifespan
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="info" if access_log else "warning",
            access_log=access_log,
            proxy_headers=False,
        )


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
                [f"{len(found)} clerk(s)"]
                + [
                    f"  {inert(c.name):<20} {', '.join(c.scopes):<20} since {rfc3339(c.created)}"
                    for c in found
                ]
            ),
        )


# -- the staff API, from the terminal ---------------------------------------------------------


def staff(data_dir: Path, url: str | None, api_key: str | None) -> HttpClient:
    if not api_key:
        raise STAFF_KEY_MISSING(f"give --api-key or set {API_KEY_ENV}")
    if url is None:
        settings = IssuerSettings.load(data_dir)
        url = f"http://{settings.host}:{settings.port}"
    return HttpClient(url, headers={"authorization": f"Bearer {api_key}"})


def only_config(data_dir: Path, config: str | None) -> str:
    if config is not None:
        return config
    configured = IssuerSettings.load(data_dir).credential_configurations
    if len(configured) != 1:
        raise CONFIGURATION_UNKNOWN("name the configuration: --config ID")
    return configured[0].id


def post(client: HttpClient, path: str, body: Any = None) -> Any:
    return client.post_json(path, json=body)


def print_offer(answer: dict[str, Any], show_qr: bool) -> str:
    lines = [f"offer {answer['offer']['id']} for record {answer['offer']['record']}"]
    if show_qr:
        lines.append(qr.terminal(answer["linkByReference"]).rstrip("\n"))
    lines.append(f"link (by reference): {answer['linkByReference']}")
    if answer.get("txCode"):
        lines.append(f"transaction code (hand over separately): {answer['txCode']}")
    lines.append(f"expires {answer['offer']['expires']}")
    return "\n".join(lines)


@app.command()
def offer(
    data_dir: DataDir,
    record: Annotated[str, typer.Option("--record", help="The agency's record reference.")],
    claims: Annotated[Path, typer.Option("--claims", help="A JSON file with the claims.")],
    config: Config = None,
    tx_code: Annotated[bool, typer.Option(help="Require a transaction code.")] = True,
    show_qr: Annotated[bool, typer.Option("--qr/--no-qr", help="Draw the QR code.")] = True,
    url: Url = None,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Create a credential offer for a record; prints its QR code and transaction code."""
    with reporting(as_json):
        try:
            data = json.loads(claims.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise CLAIMS_FILE_INVALID(f"{claims}: {exc}") from exc
        body = {
            "configuration": only_config(data_dir, config),
            "record": record,
            "claims": data,
            "txCode": tx_code,
        }
        with staff(data_dir, url, api_key) as client:
            answer = post(client, "/staff/offers", body)
        answer.pop("qr", None)
        emit(as_json, answer, lambda: print_offer(answer, show_qr))


@app.command()
@reflowed
def offers(
    data_dir: DataDir,
    csv_file: Annotated[
        Path, typer.Option("--csv", help="Rows: a record column, then one column per claim.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write record, offer, link per offer (CSV).", show_default="stdout"
        ),
    ] = None,
    codes: Annotated[
        Path | None,
        typer.Option(
            "--codes",
            help="Write record, offer, transaction code per offer (CSV): apart from the links.",
            show_default="required with tx codes",
        ),
    ] = None,
    config: Config = None,
    tx_code: Annotated[bool, typer.Option(help="Require a transaction code.")] = True,
    url: Url = None,
    api_key: ApiKey = None,
) -> None:
    """Create offers for every row of a CSV file, with a progress bar.

    A failed row prints one line with its reason and the others go on. Columns: record, then
    one per claim (dotted names nest: address.locality; JSON arrays, objects, true, false);
    see examples/offers/. Links and transaction codes go to two files (owner-only), to be
    handed over separately; a cell that a spreadsheet would read as a formula starts with '.
    """
    with reporting(False):
        configuration = only_config(data_dir, config)
        rows = read_rows(csv_file)
        made = failed = 0
        with (
            HandOver(out, codes, tx_codes=tx_code) as sink,
            staff(data_dir, url, api_key) as client,
            typer.progressbar(rows, label="offers", file=sys.stderr) as progress,
        ):
            for number, row in enumerate(progress, start=2):
                try:
                    body = {
                        "configuration": configuration,
                        "record": row.get("record", ""),
                        "claims": claims_from_row(row),
                        "txCode": tx_code,
                    }
                    answer = post(client, "/staff/offers", body)
                except Error as exc:
                    failed += 1
                    typer.echo(
                        f"\nline {number} ({inert(row.get('record'))}): "
                        f"{inert(exc.message)} [{exc.code}]",
                        err=True,
                    )
                    continue
                offer = answer["offer"]
                sink.write(
                    offer["record"], offer["id"], answer["linkByReference"], answer.get("txCode")
                )
                made += 1
        where = [str(p) for p in (out, codes if tx_code else None) if p is not None]
        typer.echo(
            f"{made} offers made, {failed} rows failed"
            + (f"; see {' and '.join(where)}" if where else "")
        )
        if failed:
            raise typer.Exit(1)


@app.command()
def publish(
    data_dir: DataDir, url: Url = None, api_key: ApiKey = None, as_json: AsJson = False
) -> None:
    """Publish changed status lists on the ledger now (else within the status interval)."""
    with reporting(as_json):
        with staff(data_dir, url, api_key) as client:
            answer = post(client, "/staff/publish")
        emit(
            as_json,
            answer,
            lambda: "\n".join(
                [f"{len(answer['published'])} list(s) published"]
                + [f"  {r['uri']}  entry {r['ledgerSeq']}" for r in answer["published"]]
            ),
        )


def status_command(action: str) -> Any:
    def command(
        credential: Annotated[str, typer.Argument(help="The issued credential's id.")],
        data_dir: DataDir,
        url: Url = None,
        api_key: ApiKey = None,
        as_json: AsJson = False,
    ) -> None:
        with reporting(as_json):
            with staff(data_dir, url, api_key) as client:
                answer = post(client, f"/staff/credentials/{credential}/{action}")
            emit(
                as_json,
                answer,
                f"{credential} ({answer['record']}) is now {answer['status']}; "
                f"published {answer['publication']}",
            )

    command.__doc__ = {
        "revoke": "Revoke an issued credential, every copy (final).",
        "suspend": "Suspend an issued credential, every copy.",
        "reinstate": "Lift a suspension.",
    }[action]
    return command


for _action in ("revoke", "suspend", "reinstate"):
    app.command(_action)(status_command(_action))


def recovery_summary(done: Recovered | None) -> str:
    assert done is not None
    lines = [f"{len(done.lists)} status list(s) recovered from the ledger for {done.did}"]
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
def recover_store(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Rebuild a lost issuer store from the status lists on the ledger.

    Every list is read with its proofs and kept as it is (revoked and suspended entries
    stay so), republished, and closed: new credentials go to a fresh list. Needs
    <data-dir>/issuer.toml and the agency key; refused while the store is there.
    """
    with reporting(as_json):
        done = recover(IssuerSettings.load(data_dir))
        emit(as_json, done.to_json(), lambda: recovery_summary(done))
