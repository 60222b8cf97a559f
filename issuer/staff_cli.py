"""``civicid issuer offer|offers|publish|revoke|suspend|reinstate``: a clerk's commands,
each a call to a running issuer's staff API with the clerk's API key. Thin: call, then print."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import quote

import typer

from civicid.console import AsJson, DataDir, emit, inert, reflowed, reporting
from civicid.errors import Error
from civicid.files import read_bounded
from civicid.http import HttpClient
from civicid.times import rfc3339
from civicid.wire import staff as wire
from civicid.words import counted
from issuer import qr
from issuer.batch import HandOver, claims_from_row, read_rows
from issuer.errors import (
    CLAIMS_FILE_INVALID,
    CONFIGURATION_UNKNOWN,
    CONFIRMATION_DECLINED,
    CONFIRMATION_REQUIRED,
    STAFF_KEY_MISSING,
)
from issuer.settings import IssuerSettings

API_KEY_ENV: Final = "CIVICID_ISSUER_API_KEY"
MAX_LISTED: Final = 500  # the staff API's page size (issuer/service.py MAX_PAGE)
# The issuer refuses a staff request over 256 KiB (issuer/routes/deps.py MAX_BODY_BYTES): a
# larger claims file could never be offered, so reading stops there (a named pipe or
# /dev/zero given by mistake is one line, never a wait or memory filled up).
MAX_CLAIMS_FILE_BYTES: Final = 256 * 1024

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


def print_offer(answer: wire.OfferCreated, show_qr: bool) -> str:
    lines = [f"offer {answer.offer.id} for record {answer.offer.record}"]
    if show_qr:
        lines.append(qr.terminal(answer.link_by_reference).rstrip("\n"))
    lines.append(f"link (by reference): {answer.link_by_reference}")
    if answer.tx_code:
        lines.append(f"transaction code (hand over separately): {answer.tx_code}")
    lines.append(f"expires {rfc3339(answer.offer.expires)}")
    # What the citizen does with them: the loop closed where the clerk reads it.
    code = " --tx-code CODE" if answer.tx_code else ""
    lines.append(
        "the citizen: scan the QR code or open the link with a wallet (civicid wallet: r, then"
        f" paste the link; or `civicid wallet receive LINK{code}`)"
        + (", then type the transaction code" if answer.tx_code else "")
    )
    return "\n".join(lines)


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
        raw = read_bounded(
            claims,
            MAX_CLAIMS_FILE_BYTES,
            too_large=CLAIMS_FILE_INVALID,
            message=f"{claims} is over {MAX_CLAIMS_FILE_BYTES} bytes: more than the issuer takes",
            unreadable=CLAIMS_FILE_INVALID,
            not_regular=CLAIMS_FILE_INVALID,
        )
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError too
            raise CLAIMS_FILE_INVALID(f"{claims}: {exc}") from exc
        body = {
            "configuration": only_config(data_dir, config),
            "record": record,
            "claims": data,
            "txCode": tx_code,
        }
        with staff(data_dir, url, api_key) as client:
            answer = wire.OfferCreated.from_json(post(client, "/staff/offers", body))
        shown = answer.model_dump(mode="json", exclude={"qr"})
        emit(as_json, shown, lambda: print_offer(answer, show_qr))


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
                    answer = wire.OfferCreated.from_json(post(client, "/staff/offers", body))
                except Error as exc:
                    failed += 1
                    typer.echo(
                        f"\nline {number} ({inert(row.get('record'))}): "
                        f"{inert(exc.message)} [{exc.code}]",
                        err=True,
                    )
                    continue
                sink.write(
                    answer.offer.record, answer.offer.id, answer.link_by_reference, answer.tx_code
                )
                made += 1
        where = [str(p) for p in (out, codes if tx_code else None) if p is not None]
        typer.echo(
            f"{made} offers made, {failed} rows failed"
            + (f"; see {' and '.join(where)}" if where else "")
        )
        if failed:
            raise typer.Exit(1)


def publish(
    data_dir: DataDir, url: Url = None, api_key: ApiKey = None, as_json: AsJson = False
) -> None:
    """Publish changed status lists on the ledger now (else within the status interval)."""
    with reporting(as_json):
        with staff(data_dir, url, api_key) as client:
            answer = wire.Published.from_json(post(client, "/staff/publish"))
        emit(
            as_json,
            answer.to_json(),
            lambda: "\n".join(
                [f"{counted(len(answer.published), 'list', 'lists')} published"]
                + [f"  {r.uri}  entry {r.ledger_seq}" for r in answer.published]
            ),
        )


class StatusName(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"


def describe(found: wire.IssuedView) -> str:
    return (
        f"{inert(found.id)} (record {inert(found.record)}, "
        f"{inert(found.configuration)}, issued {rfc3339(found.issued_at)}, "
        f"{counted(len(found.copies), 'copy', 'copies')}, now {inert(found.status)})"
    )


def credentials(
    data_dir: DataDir,
    record: Annotated[
        str | None, typer.Option("--record", help="Only this record's credentials.")
    ] = None,
    status: Annotated[
        StatusName | None,
        typer.Option("--status", help="Only credentials with this status.", show_default="any"),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_LISTED, metavar="<n>", help="At most this many.")
    ] = 50,
    url: Url = None,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """List issued credentials, newest first: the ids to revoke, suspend or reinstate."""
    with reporting(as_json):
        params: dict[str, Any] = {"limit": limit}
        if record is not None:
            params["record"] = record
        if status is not None:
            params["status"] = status.value
        with staff(data_dir, url, api_key) as client:
            answer = wire.CredentialList.from_json(
                client.get_json("/staff/credentials", params=params)
            )
        found = answer.credentials

        def summary() -> str:
            if not found:
                return "no issued credentials" + (f" for record {inert(record)}" if record else "")
            rows = [f"{counted(len(found), 'credential', 'credentials')}, newest first"]
            rows += [
                f"  {inert(c.id):<18} {inert(c.record):<14} {inert(c.status):<10} "
                f"{inert(c.configuration)}  {rfc3339(c.issued_at)}  "
                f"{counted(len(c.copies), 'copy', 'copies')}"
                for c in found
            ]
            return "\n".join(rows)

        emit(as_json, answer.to_json(), summary)


def interactive() -> bool:
    """A person at a terminal who can answer a question."""
    return sys.stdin.isatty()


def require_terminal(credential: str, action: str) -> None:
    """Without a person at a terminal to ask, refuse: ``--yes`` says it was meant."""
    if not interactive():
        raise CONFIRMATION_REQUIRED(f"pass --yes to {action} {credential!r} without a question")


def confirm(client: HttpClient, credential: str, action: str) -> None:
    """Ask before a change every verifier will be told of, showing what it is about."""
    found = wire.IssuedView.from_json(
        client.get_json(f"/staff/credentials/{quote(credential, safe='')}")
    )
    warning = " This is final." if action == "revoke" else ""
    question = f"{action.capitalize()} {describe(found)}?{warning}"
    if not typer.confirm(question, default=False, err=True):
        raise CONFIRMATION_DECLINED(f"{credential} was not {PAST[action]}")


PAST: Final = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}
CONFIRMED: Final = ("revoke", "suspend")  # reinstating takes nothing away from anyone


def status_command(action: str) -> Any:
    def command(
        credential: Annotated[
            str, typer.Argument(help="The issued credential's id (see credentials).")
        ],
        data_dir: DataDir,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Do not ask first (revoke, suspend).")
        ] = False,
        url: Url = None,
        api_key: ApiKey = None,
        as_json: AsJson = False,
    ) -> None:
        with reporting(as_json):
            if action in CONFIRMED and not yes:
                require_terminal(credential, action)  # before anything is asked of the issuer
            with staff(data_dir, url, api_key) as client:
                if action in CONFIRMED and not yes:
                    confirm(client, credential, action)
                path = f"/staff/credentials/{quote(credential, safe='')}/{action}"
                answer = wire.StatusChanged.from_json(post(client, path))
            emit(
                as_json,
                answer.to_json(),
                f"{inert(credential)} ({inert(answer.record)}) is now {inert(answer.status)}; "
                f"published {inert(answer.publication)}",
            )

    command.__doc__ = {
        "revoke": "Revoke an issued credential, every copy (final); asks first.",
        "suspend": "Suspend an issued credential, every copy; asks first.",
        "reinstate": "Lift a suspension.",
    }[action]
    return command


def register_staff_commands(app: typer.Typer) -> None:
    """Add these commands to ``civicid issuer``, in the order its help lists them."""
    app.command()(offer)
    app.command()(offers)
    app.command()(publish)
    app.command()(credentials)
    for action in ("revoke", "suspend", "reinstate"):
        app.command(action)(status_command(action))
