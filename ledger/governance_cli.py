"""``civicid ledger`` governance commands: accredit issuers and verifiers, revoke and list
accreditations (signed by the governance key in the key store); register a credential type
and publish a status list (signed by a local agency identity). Thin: build, sign, print."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from civicid import transaction as tx
from civicid.accreditation import grant_body, revocation_body
from civicid.console import AsJson, DataDir, emit, reporting
from civicid.errors import Error, NotFound
from civicid.identity import Identity
from civicid.ledger_client import LEDGER_REFUSED
from civicid.status_list import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusList,
    build_token,
    parse_token,
)
from civicid.times import rfc3339
from civicid.wire import AccreditationView
from ledger import registry
from ledger.errors import (
    FILE_UNREADABLE,
    STATUS_LIST_FLAGS_CONTRADICT,
    STATUS_LIST_SIZE_MISMATCH,
    STATUS_LIST_UNCHANGED,
)
from ledger.setup import Paths, load_governance, open_ledger
from ledger.writer import LedgerUrl, LocalWriter, RemoteWriter, Writer, open_writer

DAY: Final = 86400
# A status list token tells verifiers to fetch a fresh one after this long (§5.1 ttl).
DEFAULT_TTL: Final = 3600

Vcts = Annotated[list[str], typer.Option("--vct", help="A credential type (repeatable).")]
Until = Annotated[
    str | None, typer.Option("--until", help="End of validity, ISO date or time (UTC).")
]
Days = Annotated[int | None, typer.Option("--days", min=1, help="Validity in days from --from.")]
From = Annotated[
    str | None, typer.Option("--from", help="Start of validity, ISO date or time (default now).")
]
Purpose = Annotated[str, typer.Option("--purpose", help="Why: shown to citizens.")]
LegalBasis = Annotated[str, typer.Option("--legal-basis", help="The law that allows it.")]
AccreditationId = Annotated[
    str | None, typer.Option("--id", help="Accreditation id (default: a fresh acc-…).")
]


def parse_when(text: str) -> int:
    """An ISO 8601 date or date-time; naive values are UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not an ISO date or date-time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def period(start: str | None, until: str | None, days: int | None) -> tuple[int, int]:
    if (until is None) == (days is None):
        raise typer.BadParameter("give exactly one of --until and --days")
    valid_from = parse_when(start) if start else int(time.time())
    valid_until = parse_when(until) if until else valid_from + (days or 0) * DAY
    return valid_from, valid_until


def submit(
    data_dir: Path, url: str | None, signer: Identity, tx_type: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Sign ``body`` as ``signer`` and write it (locally, or through ``url``); the receipt."""
    with open_writer(data_dir, url) as writer:
        return writer.submit(signer.sign(tx_type, body, ledger=writer.origin))


def view_of(grant_body: dict[str, Any]) -> dict[str, Any]:
    """A grant as ``--json`` shows it: the id at the top, times in RFC 3339."""
    data = {k: grant_body[k] for k in ("accreditation", "subject", "kind")}
    for name in ("credentialTypes", "claims"):
        if name in grant_body:
            data[name] = grant_body[name]
    data["validFrom"] = rfc3339(grant_body["validFrom"])
    data["validUntil"] = rfc3339(grant_body["validUntil"])
    data["purpose"], data["legalBasis"] = grant_body["purpose"], grant_body["legalBasis"]
    return data


def grant(data_dir: Path, url: str | None, body: dict[str, Any], as_json: bool) -> None:
    governance = load_governance(Paths(data_dir))
    receipt = submit(data_dir, url, governance, tx.ACCREDITATION_GRANT, body)
    scope = body.get("credentialTypes") or list(body.get("claims", {}))
    emit(
        as_json,
        {**view_of(body), "receipt": receipt},
        f"{body['accreditation']}: {body['kind']} {body['subject']} for {', '.join(scope)}, "
        f"{day(body['validFrom'])} to {day(body['validUntil'])} (entry {receipt['seq']})",
    )


def accredit_issuer(
    did: Annotated[str, typer.Argument(help="The agency's DID, or its local identity name.")],
    data_dir: DataDir,
    vct: Vcts,
    purpose: Purpose,
    legal_basis: LegalBasis,
    until: Until = None,
    days: Days = None,
    start: From = None,
    accreditation: AccreditationId = None,
    ledger_url: LedgerUrl = None,
    as_json: AsJson = False,
) -> None:
    """Accredit an agency to issue credential types (signed by governance)."""
    with reporting(as_json):
        valid_from, valid_until = period(start, until, days)
        body = grant_body(
            Paths(data_dir).keys.did_of(did),
            credential_types=vct,
            valid_from=valid_from,
            valid_until=valid_until,
            purpose=purpose,
            legal_basis=legal_basis,
            accreditation=accreditation,
        )
        grant(data_dir, ledger_url, body, as_json)


def accredit_verifier(
    did: Annotated[str, typer.Argument(help="The service desk's DID, or its local identity name.")],
    data_dir: DataDir,
    vct: Vcts,
    claim: Annotated[
        list[str], typer.Option("--claim", help="A claim it may ask for, for each --vct.")
    ],
    purpose: Purpose,
    legal_basis: LegalBasis,
    until: Until = None,
    days: Days = None,
    start: From = None,
    accreditation: AccreditationId = None,
    ledger_url: LedgerUrl = None,
    as_json: AsJson = False,
) -> None:
    """Accredit a service desk to ask for claims of credential types (signed by governance)."""
    with reporting(as_json):
        valid_from, valid_until = period(start, until, days)
        body = grant_body(
            Paths(data_dir).keys.did_of(did),
            claims={v: list(claim) for v in vct},
            valid_from=valid_from,
            valid_until=valid_until,
            purpose=purpose,
            legal_basis=legal_basis,
            accreditation=accreditation,
        )
        grant(data_dir, ledger_url, body, as_json)


def revoke_accreditation(
    accreditation: Annotated[str, typer.Argument(help="The accreditation id.")],
    data_dir: DataDir,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the public record.")],
    ledger_url: LedgerUrl = None,
    as_json: AsJson = False,
) -> None:
    """Revoke an accreditation from now on (signed by governance)."""
    with reporting(as_json):
        governance = load_governance(Paths(data_dir))
        body = revocation_body(accreditation, reason)
        receipt = submit(data_dir, ledger_url, governance, tx.ACCREDITATION_REVOKE, body)
        emit(
            as_json,
            {"accreditation": accreditation, "reason": reason, "receipt": receipt},
            f"{accreditation} revoked (entry {receipt['seq']})",
        )


def scope_of(item: dict[str, Any]) -> str:
    if item["kind"] == "issuer":
        return ", ".join(item["credentialTypes"])
    return "; ".join(f"{vct}: {', '.join(names)}" for vct, names in item["claims"].items())


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def list_accreditations(
    data_dir: DataDir,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only this DID's (or local identity's).")
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="Status at this ISO time.")] = None,
    as_json: AsJson = False,
) -> None:
    """List accreditations with their status (read-only; works beside a running server)."""
    with reporting(as_json):
        if subject is not None:
            subject = Paths(data_dir).keys.did_of(subject)
        ledger = open_ledger(data_dir, readonly=True)
        try:
            when = parse_when(at) if at else int(time.time())
            answer = registry.list_accreditations(ledger.state, when, ledger.size, subject)
        finally:
            ledger.close()
        items = answer.body["accreditations"]
        header = ["ID", "KIND", "SUBJECT", "SCOPE", "VALID FROM", "VALID UNTIL", "STATUS"]
        rows = [
            [
                i["accreditation"],
                i["kind"],
                i["subject"],
                scope_of(i),
                day(i["validFrom"]),
                day(i["validUntil"]),
                i["status"],
            ]
            for i in items
        ]
        data = {
            "at": rfc3339(answer.body["at"]),
            "accreditations": [AccreditationView.from_json(i).to_json() for i in items],
        }
        emit(as_json, data, lambda: table([header, *rows]) if rows else "no accreditations")


def register_type(
    name: Annotated[str, typer.Argument(help="Local identity (an accredited agency).")],
    data_dir: DataDir,
    vct: Annotated[str, typer.Option("--vct", help="The credential type.")],
    metadata: Annotated[Path, typer.Option("--metadata", help="SD-JWT VC Type Metadata JSON.")],
    schema: Annotated[Path, typer.Option("--schema", help="JSON Schema of the credential.")],
    ledger_url: LedgerUrl = None,
    as_json: AsJson = False,
) -> None:
    """Register (or version) a credential type: metadata and schema, signed by its issuer."""
    with reporting(as_json):
        issuer = Paths(data_dir).keys.identity(name)
        body = {"vct": vct, "metadata": read_json(metadata), "schema": read_json(schema)}
        receipt = submit(data_dir, ledger_url, issuer, tx.CREDENTIAL_TYPE, body)
        emit(
            as_json, {"vct": vct, "receipt": receipt}, f"{vct} registered (entry {receipt['seq']})"
        )


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise FILE_UNREADABLE(f"{path}: {exc}") from exc


def current_list(writer: Writer, uri: str) -> StatusList | None:
    """The latest published list at ``uri``, to update; None if there is none yet. Through a
    server it is proven and its signature checked (at its own iat: a list past its ttl is
    still the one to update) before the issuer signs a successor."""
    if isinstance(writer, LocalWriter):
        versions = writer.ledger.state.status_lists.get(uri)
        if not versions:
            return None
        return parse_token(registry.token_of(writer.ledger.entry(versions[-1].seq))).status_list
    assert isinstance(writer, RemoteWriter)
    try:
        raw = writer.client.status_list_token(uri)
    except NotFound:
        return None
    except Error as exc:
        if not (
            LEDGER_REFUSED.matches(exc) and exc.details.get("ledger_status") == HTTPStatus.NOT_FOUND
        ):
            raise
        # The ledger says it holds none: proven (its map's proof of absence) before a new
        # list is begun, which would otherwise undo every status of one it hides.
        try:
            writer.client.status_list(uri)
        except NotFound:
            return None
        raise
    issued = parse_token(raw).iat
    return writer.client.status_list(uri, now=issued).token.status_list


DEFAULT_SIZE: Final = 100_000


def requested(
    revoke: list[int] | None, suspend: list[int] | None, reinstate: list[int] | None
) -> dict[int, int]:
    """Index -> status asked for; one index asked to become two things is refused."""
    changes: dict[int, int] = {}
    for flag, indices, value in (
        ("--revoke", revoke, STATUS_INVALID),
        ("--suspend", suspend, STATUS_SUSPENDED),
        ("--reinstate", reinstate, STATUS_VALID),
    ):
        for index in indices or ():
            if changes.get(index, value) != value:
                raise STATUS_LIST_FLAGS_CONTRADICT(
                    f"index {index} is given to {flag} and to another flag"
                )
            changes[index] = value
    return changes


def publish_status_list(
    name: Annotated[str, typer.Argument(help="Local identity (an accredited agency).")],
    data_dir: DataDir,
    uri: Annotated[str, typer.Option("--uri", help="https://<agency host>/status/<name>")],
    size: Annotated[
        int | None,
        typer.Option(
            "--size", min=1, help="Entries, for a new list.", show_default=f"{DEFAULT_SIZE:,}"
        ),
    ] = None,
    revoke: Annotated[list[int] | None, typer.Option("--revoke", help="Index to revoke.")] = None,
    suspend: Annotated[
        list[int] | None, typer.Option("--suspend", help="Index to suspend.")
    ] = None,
    reinstate: Annotated[
        list[int] | None, typer.Option("--reinstate", help="Index to set valid again.")
    ] = None,
    ttl: Annotated[int, typer.Option("--ttl", min=1, help="Seconds a copy stays fresh.")] = (
        DEFAULT_TTL
    ),
    ledger_url: LedgerUrl = None,
    as_json: AsJson = False,
) -> None:
    """Publish a 2-bit status list, or update the current one: one transaction either way."""
    with reporting(as_json):
        issuer = Paths(data_dir).keys.identity(name)
        changes = requested(revoke, suspend, reinstate)
        with open_writer(data_dir, ledger_url) as writer:
            existing = current_list(writer, uri)
            if existing is not None and size is not None and size != existing.size:
                raise STATUS_LIST_SIZE_MISMATCH(
                    f"{uri} has {existing.size:,} entries; a list keeps its size (publish a new "
                    "list under another URI for another size)"
                )
            status_list = existing or StatusList(size or DEFAULT_SIZE, 2)
            if existing is not None and all(
                existing.get(index) == value for index, value in changes.items()
            ):
                raise STATUS_LIST_UNCHANGED(f"{uri} already says that: nothing to publish")
            for index, value in changes.items():
                status_list.set(index, value)
            now = int(time.time())
            token = build_token(
                key=issuer.key,
                kid=issuer.kid,
                sub=uri,
                status_list=status_list,
                iat=now,
                exp=None,
                ttl=ttl,
            )
            body = {"uri": uri, "token": token}
            receipt = writer.submit(
                issuer.sign(tx.STATUS_LIST, body, ledger=writer.origin, now=now)
            )
        emit(
            as_json,
            {"uri": uri, "size": status_list.size, "tokenBytes": len(token), "receipt": receipt},
            f"{uri}: {status_list.size:,} entries, {status_list.count(STATUS_INVALID)} revoked, "
            f"{status_list.count(STATUS_SUSPENDED)} suspended; token {len(token):,} bytes "
            f"(entry {receipt['seq']})",
        )


def add_commands(app: typer.Typer) -> None:
    app.command("accredit-issuer")(accredit_issuer)
    app.command("accredit-verifier")(accredit_verifier)
    app.command("revoke-accreditation")(revoke_accreditation)
    app.command("list-accreditations")(list_accreditations)
    app.command("register-type")(register_type)
    app.command("publish-status-list")(publish_status_list)
