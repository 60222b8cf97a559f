"""``civicid demo``: the whole flow on loopback with embedded defaults, narrated.

Starts a real ledger server on 127.0.0.1, then acts as governance, an agency and a service
desk would, through the HTTP client that checks every answer against signed checkpoints.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated, Final

import typer

from civicid import transaction as tx_types
from civicid.accreditation import grant_body
from civicid.console import reporting
from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.status_list import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    IndexAllocator,
    StatusList,
    build_token,
)
from cli.harness import free_port, serving

NATIONAL_ID: Final = "https://civicid.example/vct/national-id"
BENEFIT: Final = "https://civicid.example/vct/benefit-eligibility"
STATUS_URI: Final = "https://agency.civicid.example/status/1"  # https://<agency host>/status/<n>
DEMO_LIST_ENTRIES: Final = 100_000  # the ledger takes 1,000,000 as easily; this keeps it quick
DESK_CLAIMS: Final = ["given_name", "family_name", "birthdate", "age_over_18"]
STATUS_NAMES: Final = {0: "valid", STATUS_INVALID: "revoked", STATUS_SUSPENDED: "suspended"}


def step(text: str) -> None:
    typer.secho(f"\n▸ {text}", bold=True)


def say(text: str) -> None:
    typer.echo(f"  {text}")


def national_id_type() -> dict[str, object]:
    """SD-JWT VC Type Metadata (§5) and JSON Schema of the demo's national ID."""
    claims = [
        {"path": [name], "sd": "always", "display": [{"locale": "en-GB", "label": label}]}
        for name, label in (
            ("given_name", "Given name"),
            ("family_name", "Family name"),
            ("birthdate", "Date of birth"),
            ("age_over_18", "Over 18"),
        )
    ]
    metadata = {
        "vct": NATIONAL_ID,
        "name": "National identity credential",
        "display": [
            {
                "locale": "en-GB",
                "name": "National ID",
                "description": "Who you are, as the civil registry knows you",
                "rendering": {"simple": {"background_color": "#12107c", "text_color": "#ffffff"}},
            },
            {"locale": "fr-FR", "name": "Carte nationale d'identité"},
        ],
        "claims": [*claims, {"path": ["iss"], "sd": "never"}, {"path": ["status"], "sd": "never"}],
    }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "given_name": {"type": "string"},
            "family_name": {"type": "string"},
            "birthdate": {"type": "string", "format": "date"},
            "age_over_18": {"type": "boolean"},
        },
        "required": ["given_name", "family_name", "birthdate"],
    }
    return {"vct": NATIONAL_ID, "metadata": metadata, "schema": schema}


def list_token(who: Identity, status_list: StatusList, now: int) -> str:
    return build_token(
        key=who.key,
        kid=who.kid,
        sub=STATUS_URI,
        status_list=status_list,
        iat=now,
        exp=now + 86400,
        ttl=3600,
    )


def governance_steps(
    client: LedgerClient, governance: Identity, agency: Identity, desk: Identity, origin: str
) -> tuple[StatusList, list[int]]:
    """Accredit, register a type, publish a list, then ask the four questions."""
    step("Governance accredits the agency as an issuer and the desk as a verifier")
    now = int(time.time())
    year = now + 365 * 86400
    basis = "Digital Identity Act 2026, s. 12 (demo)"
    grants = (
        grant_body(
            agency.did,
            credential_types=[NATIONAL_ID, BENEFIT],
            valid_from=now,
            valid_until=year,
            purpose="Issue identity and benefit credentials",
            legal_basis=basis,
        ),
        grant_body(
            desk.did,
            claims={NATIONAL_ID: DESK_CLAIMS},
            valid_from=now,
            valid_until=year,
            purpose="Check identity and age at the town hall desk",
            legal_basis=basis,
        ),
    )
    for body in grants:
        receipt = client.submit(governance.sign(tx_types.ACCREDITATION_GRANT, body, ledger=origin))
        scope = body.get("credentialTypes") or body["claims"][NATIONAL_ID]
        say(
            f"{body['accreditation']}  {body['kind']:<8} {', '.join(scope)}  entry {receipt['seq']}"
        )

    step("The agency registers its credential type and publishes a 2-bit status list")
    receipt = client.submit(
        agency.sign(tx_types.CREDENTIAL_TYPE, national_id_type(), ledger=origin)
    )
    say(f"type {NATIONAL_ID}  entry {receipt['seq']}")
    allocator = IndexAllocator(DEMO_LIST_ENTRIES)  # random indices: herd privacy (§12.5)
    indices = [allocator.allocate() for _ in range(4)]
    status_list = StatusList(DEMO_LIST_ENTRIES, 2)
    status_list.set(indices[1], STATUS_INVALID)
    status_list.set(indices[2], STATUS_INVALID)
    status_list.set(indices[3], STATUS_SUSPENDED)
    token = list_token(agency, status_list, now)
    receipt = client.submit(
        agency.sign(tx_types.STATUS_LIST, {"uri": STATUS_URI, "token": token}, ledger=origin)
    )
    say(
        f"{STATUS_URI}: {DEMO_LIST_ENTRIES:,} entries, 2 revoked, 1 suspended; "
        f"token {len(token):,} bytes, entry {receipt['seq']}"
    )

    step("A desk and a wallet ask the ledger; the client re-derives each answer from proofs")
    issuer = client.issuer_accredited(agency.did, NATIONAL_ID)
    say(
        f"agency may issue national-id?       {yes(issuer.accredited)} "
        f"({issuer.standing.accreditation}, checkpoint size {issuer.checkpoint.size})"
    )
    asked = client.verifier_allowed(desk.did, NATIONAL_ID, ["given_name", "age_over_18"])
    say(f"desk may ask given_name, age_over_18? {yes(asked.accredited)}")
    wider = client.verifier_allowed(desk.did, NATIONAL_ID, ["given_name", "address"])
    say(f"desk may ask given_name, address?     {yes(wider.accredited)} [{wider.standing.reason}]")
    proven = client.credential_type(NATIONAL_ID)
    display = proven.metadata["display"]
    always = [c["path"][0] for c in proven.metadata["claims"] if c.get("sd") == "always"]
    say(
        f"type metadata: {display[0]['name']!r} ({', '.join(d['locale'] for d in display)}), "
        f"always disclosable: {', '.join(always)}"
    )
    show_list(client, indices)
    return status_list, indices


def yes(flag: bool) -> str:
    return "yes" if flag else "no "


def show_list(client: LedgerClient, indices: list[int], tree_size: int | None = None) -> None:
    proven = client.status_list(STATUS_URI, tree_size)
    statuses = ", ".join(f"#{i} {STATUS_NAMES[proven.status(i)]}" for i in indices)
    say(f"status list entry {proven.seq} (ttl {proven.token.ttl}s, signature checked): {statuses}")


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Keep the demo's data here (default: a fresh temporary directory)."
        ),
    ] = None,
) -> None:
    with reporting(False):
        if data_dir is None:
            with tempfile.TemporaryDirectory(prefix="civicid-demo-") as tmp:
                run(Path(tmp))
        else:
            run(data_dir)


def run(root: Path) -> None:
    from ledger.app import create_app
    from ledger.audit import audit
    from ledger.settings import LedgerSettings
    from ledger.setup import Paths, initialize, load_governance

    step("Ledger: genesis")
    genesis = initialize(root)
    say(f"origin          {genesis.origin}")
    say(f"governance DID  {genesis.governance.did}")
    say(f"checkpoint key  {genesis.vkey}")

    with serving(create_app(LedgerSettings(data_dir=root)), free_port()) as url:
        say(f"ledger serving at {url} (OpenAPI at {url}/docs)")
        client = LedgerClient(url, genesis.vkey, trust_file=root / "client" / "checkpoint")
        governance = load_governance(Paths(root))
        origin = genesis.origin

        step("Governance endorses an agency and a service desk; each writes its own DID")
        agency = Identity.create(prerotate=True)
        desk = Identity.create()
        for name, who, role in (("agency", agency, "agency"), ("desk", desk, "service-desk")):
            endorsement = governance.endorse(who.did, role, ledger=origin)
            receipt = client.submit(
                who.create_tx(role=role, endorsement=endorsement, ledger=origin)
            )
            Paths(root).keys.put(name, who.to_json())
            say(f"{role:<13} {who.did}  entry {receipt['seq']} (inclusion verified)")

        status_list, indices = governance_steps(client, governance, agency, desk, origin)
        size_first_list = client.checkpoint().size

        step("Anyone resolves the agency's DID; the client checks the proof")
        resolved = client.resolve(agency.did)
        say(
            f"version {resolved.metadata['versionId'][:12]}…  proven in checkpoint of size "
            f"{resolved.checkpoint.size}"
        )

        step("The agency rotates its key (pre-rotation: only the committed key may)")
        rotated, update = agency.rotate(resolved.metadata["versionId"], ledger=origin)
        client.submit(update)
        latest = client.resolve(agency.did)
        say(f"now {latest.metadata['versionId'][:12]}…, controller {rotated.kid.split('#')[1]}")
        first = client.resolve(agency.did, version_id="1")
        say(
            "version 1 still resolves: key-1 verifies what it signed before "
            + first.metadata["nextUpdate"]
        )

        step("The agency updates its status list with its new key: one transaction")
        status_list.set(indices[3], 0)  # the suspension is lifted
        status_list.set(indices[0], STATUS_INVALID)
        token = list_token(rotated, status_list, int(time.time()))
        client.submit(
            rotated.sign(tx_types.STATUS_LIST, {"uri": STATUS_URI, "token": token}, ledger=origin)
        )
        show_list(client, indices)
        say("as of the earlier checkpoint, still proven and checked with the old key:")
        show_list(client, indices, size_first_list)

        step("Refusals leave the log unchanged")
        size_before = client.checkpoint().size
        for label, tx in (
            ("replayed transaction", update),
            (
                "rotation by a spent key",
                agency.rotate(latest.metadata["versionId"], ledger=origin)[1],
            ),
            (
                "unendorsed DID",
                Identity.create().create_tx(role="agency", endorsement="x.y.z", ledger=origin),
            ),
            (
                "accreditation by agency",
                rotated.sign(
                    tx_types.ACCREDITATION_GRANT,
                    grant_body(
                        desk.did,
                        claims={NATIONAL_ID: ["address"]},
                        valid_from=0,
                        valid_until=int(time.time()) + 86400,
                        purpose="p",
                        legal_basis="none",
                    ),
                    ledger=origin,
                ),
            ),
            (
                "type by the desk",
                desk.sign(tx_types.CREDENTIAL_TYPE, national_id_type(), ledger=origin),
            ),
            (
                "list by a non-owner",
                desk.sign(
                    tx_types.STATUS_LIST,
                    {"uri": STATUS_URI, "token": list_token(desk, status_list, int(time.time()))},
                    ledger=origin,
                ),
            ),
        ):
            try:
                client.submit(tx)
                say(f"{label}: ACCEPTED (unexpected)")
            except Error as exc:
                say(f"{label:<24} refused [{exc.code}]")
        assert client.checkpoint().size == size_before

        step("The service desk leaves; its DID is deactivated, its history kept")
        current = client.resolve(desk.did)
        client.submit(desk.deactivate_tx(current.metadata["versionId"], ledger=origin))
        gone = client.resolve(desk.did)
        say(f"deactivated: {gone.deactivated}")

        step("Audit: replay every entry, check every hash, signature and rule")
        note = client.checkpoint()
        report = audit(Paths(root).log, checkpoint=client.http.get("/checkpoint").text)
        say(
            f"{report.size} entries, root {report.root.hex()[:16]}…, checkpoint verified: "
            f"{report.checkpoint_verified} ({report.seconds * 1000:.0f} ms)"
        )
        say(f"client's trusted checkpoint: size {note.size}")
        client.close()
    typer.secho("\ndemo complete", fg=typer.colors.GREEN, bold=True)
