"""The whole system on one machine: three witnesses, a ledger, an agency's issuer and a
service desk's verifier, set up from nothing (or found set up) in one data directory and
served on loopback. The witnesses cosign the ledger's checkpoints; every client requires
two of their three cosignatures (the policy in ``<data-dir>/stack/witnesses.policy``).
``civicid demo`` narrates each step; ``civicid up`` leaves it running.

Every step goes through the parts' own public APIs and real HTTP: identities and
accreditations are submitted to the ledger server and proven by the verifying client,
exactly as separate organisations would do it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from civicid import transaction as tx_types
from civicid.accreditation import grant_body
from civicid.checkpoint_policy import CheckpointPolicy
from civicid.errors import Code, Error, InvalidInput, NotFound, StorageError, declare
from civicid.files import read_bounded
from civicid.http import HttpClient
from civicid.identity import Identity
from civicid.keystore import KeyStore, write_private
from civicid.ledger_client import LedgerClient, trusted_record_file
from civicid.names import names_service
from civicid.status_uri import base_urls, normalize_uri, status_service
from civicid.times import Clock, system_clock
from civicid.trust import Trust
from cli.harness import serving

EXAMPLES: Final = Path(__file__).resolve().parents[1] / "examples"
NATIONAL_ID: Final = "https://civicid.example/vct/national-id"
NATIONAL_ID_CONFIG: Final = "national-id"
AGENCY: Final = "agency"  # key store names of the two organisations' ledger identities
DESK: Final = "desk"
CLERK: Final = "front-desk"
CLERK_KEY_FILE: Final = "clerk-key"  # in STATE_DIR: the clerk's API key, 0600
# An API key is 69 ASCII characters (``issuer.clerks.KEY_PATTERN``); a file past this is not
# one this set-up wrote.
MAX_CLERK_KEY_BYTES: Final = 1024
UP_GENESIS_INCOMPLETE = declare(
    "up_genesis_incomplete", StorageError, "the ledger's genesis was cut short on a first run"
)
UP_WITNESS_NOT_FOLLOWING = declare(
    "up_witness_not_following", InvalidInput, "a witness of this set-up does not follow its ledger"
)
UP_WITNESS_LOST = declare(
    "up_witness_lost",
    StorageError,
    "a witness this set-up's ledger asks to cosign is gone from its data dir (its key lost)",
)
UP_WITNESS_POLICY_INVALID = declare(
    "up_witness_policy_invalid",
    StorageError,
    "the witness policy this set-up wrote at its last start is damaged",
)
UP_ISSUER_PORT_CHANGED = declare(
    "up_issuer_port_changed",
    InvalidInput,
    "the issuer's address is not the one its agency's DID names (set at the first run)",
)
UP_DESK_STORE_MISSING = declare(
    "up_desk_store_missing", StorageError, "the desk's store is gone from a data dir it ran in"
)
UP_IDENTITY_MISSING = declare(
    "up_identity_missing", NotFound, "the key file of an identity this set-up uses is missing"
)
UP_ISSUER_UNCONFIGURED = declare(
    "up_issuer_unconfigured", InvalidInput, "the issuer's settings name no credential type"
)
UP_CLERK_KEY_INVALID = declare(
    "up_clerk_key_invalid",
    InvalidInput,
    "the clerk's API key kept for this set-up is damaged, lost, or no longer its clerk's",
)
# What the two organisations call themselves on the ledger, in the languages they serve:
# what wallets and the desk's page show instead of their DIDs.
NAMES: Final = {
    AGENCY: {"en": "Cadur Civil Registry", "fr": "État civil de Cadur"},
    DESK: {"en": "Cadur town hall desk", "fr": "Guichet de la mairie de Cadur"},
}
# What governance lets the town hall desk ask of a national ID: enough for the example
# policies (identity check, age check, housing benefit), and never the address.
DESK_CLAIMS: Final = (
    "given_name",
    "family_name",
    "birthdate",
    "resident",
    "age_equal_or_over.18",
)
LEGAL_BASIS: Final = "Digital Identity Act 2026, s. 12 (example)"
YEAR: Final = 365 * 86400
STATE_DIR: Final = "stack"  # <data-dir>/stack: the clerk key and client trust of this set-up
WITNESS_DIR: Final = "witnesses"  # <data-dir>/witnesses/w1..w3: each witness's own data dir
WITNESS_POLICY: Final = "witnesses.policy"  # in STATE_DIR: who cosigns, and the quorum
WITNESS_NAMES: Final = ("w1", "w2", "w3")
QUORUM: Final = 2  # any two of the three: one witness down stops nothing
WITNESS_GROUP: Final = "civicid-witnesses"


@dataclass(frozen=True, slots=True)
class Ports:
    ledger: int
    issuer: int
    verifier: int
    witnesses: tuple[int, ...] = (0,) * len(WITNESS_NAMES)  # 0: any free port


@dataclass(frozen=True, slots=True)
class WitnessUp:
    """A witness served on loopback: its policy name, verifier key and URL."""

    name: str
    vkey: str
    url: str


@dataclass(frozen=True, slots=True)
class Ledgered:
    """The ledger's facts every other part is configured with."""

    origin: str
    vkey: str
    governance: Identity
    created: bool


@dataclass
class Running:
    """The services, up: their URLs and what a person needs to use them."""

    root: Path
    ledger_url: str
    issuer_url: str
    verifier_url: str
    ledger: Ledgered
    agency: Identity
    desk: Identity
    clerk_key: str
    client: LedgerClient
    witnesses: tuple[WitnessUp, ...] = ()
    witness_policy: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "dataDir": str(self.root),
            "witnesses": {"quorum": QUORUM, "policy": str(self.witness_policy),
                          "members": [{"name": w.name, "url": w.url, "vkey": w.vkey}
                                      for w in self.witnesses]},
            "ledger": {"url": self.ledger_url, "docs": self.ledger_url + "/docs",
                       "origin": self.ledger.origin, "checkpointKey": self.ledger.vkey},
            "issuer": {"url": self.issuer_url, "docs": self.issuer_url + "/docs",
                       "did": self.agency.did},
            "verifier": {"url": self.verifier_url, "deskPage": self.verifier_url + "/",
                         "did": self.desk.did},
        }  # fmt: skip


def example_type() -> dict[str, Any]:
    """The national ID's SD-JWT VC type metadata and JSON Schema, from examples/types."""
    folder = EXAMPLES / "types"
    metadata = json.loads((folder / "national-id.metadata.json").read_text("utf-8"))
    schema = json.loads((folder / "national-id.schema.json").read_text("utf-8"))
    return {"vct": NATIONAL_ID, "metadata": metadata, "schema": schema}


def example_claims() -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(
        (EXAMPLES / "types" / "national-id.claims.json").read_text("utf-8")
    )
    return claims


def offer_national_id(
    staff: HttpClient, record: str, claims: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A clerk's offer of a national ID for ``record`` (the example claims unless given)."""
    body = {"configuration": NATIONAL_ID_CONFIG, "record": record,
            "claims": claims if claims is not None else example_claims()}  # fmt: skip
    offer: dict[str, Any] = staff.post_json("/staff/offers", json=body)
    return offer


def ensure_ledger(
    root: Path,
    clock: Clock = system_clock,
    database_url: str | None = None,
    origin: str | None = None,
) -> Ledgered:
    """Genesis in ``root`` (its log in ``database_url`` if given; named ``origin`` if given)
    unless a ledger is there."""
    from civicid.keystore import KEY_FILE_INVALID
    from ledger.errors import LEDGER_KEY_MISSING, STORE_TRUNCATED
    from ledger.setup import (
        CHECKPOINT_KEY,
        GOVERNANCE_KEY,
        Paths,
        initialize,
        load_governance,
        load_signer,
    )
    from ledger.store import FILES, LEDGER_WAY_BACK

    paths = Paths(root)
    # Any file of the store, not log.dat alone: a store that lost its log is the ledger's own
    # store_truncated when opened, never a new ledger to make here.
    made = (
        paths.keys.exists(CHECKPOINT_KEY)
        if database_url
        else any(os.path.lexists(paths.log / name) for name in FILES)
    )
    if made and database_url is None and _genesis_cut_short(paths.log):
        later = _made_after_genesis(root, paths.log, paths.tiles)
        if later:
            # Not a first run stopped: the log and its checkpoints were lost after the ledger
            # signed and served (a snapshot, witnesses, trust files say so). Removing the data
            # dir, as for a first run, would take the keys and every store with it.
            raise STORE_TRUNCATED(
                f"{paths.log} holds no entry and no checkpoint, but this data dir ran past the"
                f" ledger's genesis ({', '.join(later)}): its log was lost, not cut short at a"
                f" first run; never remove {root} (its keys, witnesses and stores are there):"
                f" {LEDGER_WAY_BACK.lost_entries}",
                held=0,
                signed=0,
            )
        raise UP_GENESIS_INCOMPLETE(
            f"{paths.log} holds no entry and no checkpoint: a first run was stopped during the"
            f" ledger's genesis, before anything was logged or signed; remove {root} and run"
            " again"
        )
    if made:
        keys = paths.keys
        # The ledger's own keys, lost: said as ``ledger serve`` says it, never made anew (a new
        # checkpoint key is another ledger; a new governance, one that endorsed nothing here).
        if not keys.exists(CHECKPOINT_KEY):
            raise LEDGER_KEY_MISSING(
                f"{keys.directory / CHECKPOINT_KEY}.json is missing: this ledger cannot sign a"
                " checkpoint without it; restore the key file from a backup"
            )
        check_not_lost(keys, GOVERNANCE_KEY, paths.log)
        governance = load_governance(paths)
        # The key as its seed makes it: the file's vkey is a copy, checked against it (a
        # damaged copy was refused later, naming no file: "vkey key id does not match...").
        signer = load_signer(paths)
        if keys.text(CHECKPOINT_KEY, "vkey") != signer.vkey():
            raise KEY_FILE_INVALID(
                f"key file {keys.directory / CHECKPOINT_KEY}.json: its vkey is not its seed's"
                " key (damaged?); restore it from a backup"
            )
        return Ledgered(signer.name, signer.vkey(), governance, created=False)
    named = {"origin": origin} if origin else {}
    genesis = initialize(root, clock=clock, database_url=database_url, **named)
    return Ledgered(genesis.origin, genesis.vkey, genesis.governance, created=True)


def _made_after_genesis(root: Path, log: Path, tiles: Path) -> list[str]:
    """What a run makes only once the ledger's genesis is logged and signed, found in
    ``root``: the ledger's state snapshot, this set-up's trust file and its record, the
    witnesses, the issuer's and the desk's settings, the tiles' checkpoint."""
    later = [
        log / "state.snapshot",
        root / STATE_DIR / "checkpoint",
        trusted_record_file(root / STATE_DIR / "checkpoint"),
        root / WITNESS_DIR,
        root / "issuer.toml",
        root / "verifier.toml",
        tiles / "checkpoint",
    ]
    return [str(path.relative_to(root)) for path in later if os.path.lexists(path)]


def _genesis_cut_short(log: Path) -> bool:
    """The log and both checkpoint files are empty: the genesis never reached the disk (a
    log shorter than a checkpoint it signed is the ledger's own ``store_truncated``)."""

    def empty(name: str) -> bool:
        path = log / name
        return not path.exists() or path.stat().st_size == 0

    return all(empty(name) for name in ("log.dat", "checkpoint.dat", "acknowledged.dat"))


def ledger_settings(
    root: Path, database_url: str | None = None, witness_policy: Path | None = None
) -> Any:
    """The ledger's settings in ``root`` (its file and environment: its server limits), with
    the witnesses it asks to cosign."""
    from ledger.settings import LedgerSettings

    return LedgerSettings.load(root, database_url=database_url, witness_policy=witness_policy)


def ledger_app(
    root: Path, database_url: str | None = None, witness_policy: Path | None = None
) -> Any:
    from ledger.app import create_app

    return create_app(ledger_settings(root, database_url, witness_policy))


def ensure_witnesses(root: Path, ledger: Ledgered) -> list[Path]:
    """Three witnesses following the ledger, each in its own data dir (made once)."""
    from ledger.witness.settings import WitnessSettings
    from ledger.witness.setup import COSIGNER_KEY, Paths, initialize, log_setting

    _check_witnesses_named(root)
    made = []
    for number, name in enumerate(WITNESS_NAMES, start=1):
        home = root / WITNESS_DIR / name
        follows = log_setting(ledger.vkey)
        if not WitnessSettings.file_in(home).exists():
            if Paths(home).keys.exists(COSIGNER_KEY):
                # Its settings file lost, its key and state kept: written again as made here
                # (the log it follows is this ledger, whatever else it held is not known).
                WitnessSettings.write(home, {"logs": [follows.model_dump()]})
            else:
                home.mkdir(parents=True, exist_ok=True, mode=0o700)
                initialize(home, f"witness-{number}.civicid.example", [follows])
        elif follows not in WitnessSettings.load(home).logs:
            # An emptied or edited file: this witness would cosign nothing of this ledger,
            # and the others' quorum would hide it.
            raise UP_WITNESS_NOT_FOLLOWING(
                f"{WitnessSettings.file_in(home)} does not follow this ledger ({ledger.origin}):"
                " restore it from a backup, or remove it and this writes it again"
            )
        made.append(home)
    return made


def _check_witnesses_named(root: Path) -> None:
    """Each witness the ledger was last told to ask (the policy a start wrote) holds the key
    it was named by. One made again in its place would cosign from nothing, a fork too,
    and the policy written next would name it without a word: refused before anything is
    made. No policy yet: a first start, which makes them."""
    from civicid.tlog_policy import MAX_POLICY_BYTES, POLICY_TOO_LARGE, TlogPolicy
    from ledger.witness.setup import COSIGNER_KEY, Paths

    path = root / STATE_DIR / WITNESS_POLICY
    if not os.path.lexists(path):  # a link that leads nowhere is damage, not absence
        return
    # Rewritten at every start from the witnesses' own keys: once it is moved aside, the next
    # start writes it again (and, without it, cannot tell a lost witness).
    fix = (
        "restore it from a backup, or remove it to have it written again from the witnesses"
        f" in {root / WITNESS_DIR}"
    )
    try:
        text = read_bounded(path, MAX_POLICY_BYTES, too_large=POLICY_TOO_LARGE,
                            unreadable=UP_WITNESS_POLICY_INVALID,
                            not_regular=UP_WITNESS_POLICY_INVALID)  # fmt: skip
        policy = TlogPolicy.parse(text)
    except Error as exc:  # unread, it would be no policy: a lost witness made again unsaid
        said = (
            f"is damaged: {exc.message}"
            if UP_WITNESS_POLICY_INVALID.matches(exc)
            else f"{path} is damaged ({exc.message} [{exc.code}])"
        )
        raise UP_WITNESS_POLICY_INVALID(f"the ledger's witness policy {said}: {fix}") from exc
    for witness in policy.witnesses:
        if witness.name not in WITNESS_NAMES:
            continue  # not one this set-up makes
        home = root / WITNESS_DIR / witness.name
        keys = Paths(home).keys
        held = keys.text(COSIGNER_KEY, "vkey") if keys.exists(COSIGNER_KEY) else None
        if held == witness.verifier.vkey:
            continue
        found = "holds no witness key" if held is None else "holds another witness key"
        raise UP_WITNESS_LOST(
            f"the ledger's witness policy {path} names witness {witness.name} "
            f"({witness.verifier.vkey.split('+')[0]}) but {home} {found}: a new witness in its "
            f"place would cosign from nothing, a fork too; restore {home} from a backup, or, "
            f"to make a new witness in its place (a new key), remove {path}"
        )


def serve_witnesses(stack: ExitStack, homes: list[Path], ports: tuple[int, ...]) -> list[WitnessUp]:
    from ledger.witness.app import create_app as witness_app
    from ledger.witness.settings import WitnessSettings
    from ledger.witness.setup import load_key, open_witness

    up = []
    for name, home, port in zip(WITNESS_NAMES, homes, ports, strict=True):
        settings = WitnessSettings.load(home, port=port)
        # Opened here, not in the server's start-up: a damaged state is then its own error.
        witness = open_witness(settings)
        stack.callback(witness.close)
        app = witness_app(settings, witness=witness)
        url = stack.enter_context(serving(app, port, settings=settings))
        up.append(WitnessUp(name, load_key(home).vkey(), url))
    return up


def write_witness_policy(root: Path, witnesses: list[WitnessUp]) -> Path:
    """The C2SP tlog-policy the ledger asks and every client here requires (their URLs may
    change between runs, so it is written at each start)."""
    lines = [f"# civicid up: any {QUORUM} of these witnesses must cosign a checkpoint"]
    lines += [f"witness {w.name} {w.vkey} {w.url}" for w in witnesses]
    lines.append(f"group {WITNESS_GROUP} {QUORUM} {' '.join(w.name for w in witnesses)}")
    lines.append(f"quorum {WITNESS_GROUP}")
    path = root / STATE_DIR / WITNESS_POLICY
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(path, "".join(line + "\n" for line in lines).encode("utf-8"))
    return path


def as_setting(path: Path | None, data_dir: Path) -> Path | None:
    """``path`` (up's witness policy, if any) as the settings of a part whose data dir is
    ``data_dir`` name it: relative to that dir, against which the part reads it. A data dir
    moved or copied whole then keeps naming its own policy, not the one where it was made
    (which would be gone, or another copy's, listing that copy's witnesses)."""
    return None if path is None else Path(os.path.relpath(path, data_dir))


def ensure_identity(
    client: LedgerClient,
    ledger: Ledgered,
    keys: KeyStore,
    name: str,
    role: str,
    base_url: str | None = None,
    *,
    set_up_by: Path | None = None,
) -> tuple[Identity, int | None]:
    """The identity ``name`` (made, endorsed by governance and registered if new); and the
    entry it was registered at, or None if it was there already. An agency's document names
    ``base_url``, under which its status lists live (civicid/status_uri.py); each body's its
    display names (``NAMES``, civicid/names.py). ``set_up_by``: the settings file of the part
    that uses it; once that exists, a missing key is lost, never made anew."""
    if keys.exists(name):
        return keys.identity(name), None
    if set_up_by is not None:
        check_not_lost(keys, name, set_up_by)
    services = [status_service(base_url)] if base_url else []
    services.append(names_service(NAMES[name]))
    who = Identity.create(prerotate=True, services=services)
    endorsement = ledger.governance.endorse(who.did, role, ledger=ledger.origin)
    keys.put(name, who.to_json())  # the keys are saved before the DID exists: never lost
    receipt = client.submit(who.create_tx(role=role, endorsement=endorsement, ledger=ledger.origin))
    return who, int(receipt["seq"])


def check_issuer_address(
    document: dict[str, Any],
    public: str,
    *,
    whose: str = "the agency's",
    option: str = "--issuer-port",
    refusal: Code = UP_ISSUER_PORT_CHANGED,
) -> None:
    """An issuer is served where its agency's DID names it. The agency's first document
    (registered at the data dir's first run) names the issuer's address for good, and wallets
    take offers from there only (``wallet_issuer_unbound``): served on another port, every
    offer it made would be refused, and ``civicid issuer offer`` would ask the first port.
    Refused with ``refusal``, naming ``whose`` DID and the port to give ``option``: up's own
    issuer (``--issuer-port``) and the rule's issuer (``--rule-port``, cli/up.py) alike."""
    bases = base_urls(document)
    where = normalize_uri(public)
    if any((where if where.endswith("/") else where + "/").startswith(b) for b in bases):
        return
    ports = sorted({str(urlsplit(b).port) for b in bases if urlsplit(b).port is not None})
    raise refusal(
        f"{whose} DID names {', '.join(bases) or 'no address'} for its issuer (set at this"
        f" data dir's first run, for good: wallets take offers from there only), not"
        f" {public}: run up with {option} {' or '.join(ports) or '(its first port)'}"
    )


def check_not_lost(keys: KeyStore, name: str, set_up_by: Path) -> None:
    """Identity ``name`` is missing from ``keys`` although the part set up with it
    (``set_up_by``) exists: its key file was lost. A new identity would be another DID, under
    which nothing issued or decided before could be revoked or checked: refused."""
    if set_up_by.exists() and not keys.exists(name):
        raise UP_IDENTITY_MISSING(
            f"{keys.directory / name}.json is missing, but {set_up_by} was set up with that"
            " identity: restore the key file from a backup (a new identity would be another"
            " DID, and nothing made under the old one could be revoked)"
        )


def accredit(
    client: LedgerClient,
    ledger: Ledgered,
    subject: str,
    *,
    purpose: str,
    credential_types: list[str] | None = None,
    claims: dict[str, list[str]] | None = None,
    clock: Clock = system_clock,
) -> tuple[str, int]:
    now = clock()
    body = grant_body(
        subject,
        credential_types=credential_types,
        claims=claims,
        valid_from=now,
        valid_until=now + YEAR,
        purpose=purpose,
        legal_basis=LEGAL_BASIS,
    )
    receipt = client.submit(
        ledger.governance.sign(tx_types.ACCREDITATION_GRANT, body, ledger=ledger.origin)
    )
    return str(body["accreditation"]), int(receipt["seq"])


def ensure_accreditations(
    trust: Trust, ledger: Ledgered, agency: Identity, desk: Identity
) -> list[tuple[str, str, int]]:
    """The agency may issue national IDs; the desk may ask for ``DESK_CLAIMS`` of one.
    Returns (who, accreditation, entry) for each grant made now. Whether a grant is there
    already is asked of the kernel's trust path (proven grants, nothing newer withheld), as
    every part asks it."""
    made = []
    if not trust.issuer_standing(agency.did, NATIONAL_ID, trust.clock()).accredited:
        grant, seq = accredit(
            trust.client, ledger, agency.did,
            purpose="Issue national identity credentials", credential_types=[NATIONAL_ID],
        )  # fmt: skip
        made.append(("agency", grant, seq))
    if not trust.desk_standing(desk.did, NATIONAL_ID, DESK_CLAIMS).accredited:
        grant, seq = accredit(
            trust.client, ledger, desk.did,
            purpose="Check eligibility for benefits at the town hall desk",
            claims={NATIONAL_ID: list(DESK_CLAIMS)},
        )  # fmt: skip
        made.append(("desk", grant, seq))
    return made


def ensure_type(trust: Trust, ledger: Ledgered, agency: Identity) -> int | None:
    """Register the national ID type unless the trust path finds it registered (by an
    issuer accredited for it); the entry, or None if it was there."""
    try:
        trust.credential_type(NATIONAL_ID)
        return None
    except NotFound:
        pass
    receipt = trust.client.submit(
        agency.sign(tx_types.CREDENTIAL_TYPE, example_type(), ledger=ledger.origin)
    )
    return int(receipt["seq"])


def ensure_issuer(
    root: Path,
    ledger: Ledgered,
    ledger_url: str,
    port: int,
    client: LedgerClient,
    database_url: str | None = None,
    witness_policy: Path | None = None,
) -> Any:
    """Bind the issuer in ``root`` to the agency identity (once); its settings (its store in
    ``database_url`` if given)."""
    from issuer.settings import ConfigurationSettings

    public = f"http://127.0.0.1:{port}"
    flags: dict[str, Any] = {"ledger_url": ledger_url, "checkpoint_key": ledger.vkey,
                             "public_url": public, "port": port, "identity": AGENCY,
                             "database_url": database_url,
                             "witness_policy": witness_policy}  # fmt: skip
    config = ConfigurationSettings(id=NATIONAL_ID_CONFIG, vct=NATIONAL_ID)
    init_issuer_once(root, config, client, flags)
    return configured_issuer(root, flags)


def init_issuer_once(root: Path, config: Any, client: LedgerClient, flags: dict[str, Any]) -> None:
    """``issuer init`` in ``root`` for the one credential configuration ``config``, at the
    first run only: at the next ones its ``issuer.toml`` is there and kept as it is."""
    from issuer.setup import initialize

    if not (root / "issuer.toml").exists():
        initialize(root, configurations=[config], client=client, **flags)


def configured_issuer(root: Path, flags: dict[str, Any], whose: str = "") -> Any:
    """The settings of the issuer in ``root``, refused (``up_issuer_unconfigured``) when its
    ``issuer.toml`` names no credential configuration: an emptied file is valid TOML, and
    served as is it would refuse every request saying nothing of why. ``whose`` names the
    issuer in the refusal (" (the transport authority's issuer)")."""
    from issuer.settings import IssuerSettings

    settings = IssuerSettings.load(root, **flags)
    if not settings.credential_configurations:
        raise UP_ISSUER_UNCONFIGURED(
            f"{root / 'issuer.toml'}{whose} names no credential configuration (emptied?):"
            " restore it from a backup, or remove it and up writes it again (the issuer's"
            " store is kept)"
        )
    return settings


def ensure_clerk(root: Path, settings: Any) -> str:
    """A clerk with issue and revoke scopes; its API key kept (0600) for this set-up, and
    checked against the issuer's store on every run: a key file damaged or lost is refused
    (``up_clerk_key_invalid``), never printed as a key that would not work."""
    from issuer.clerks import Keyring
    from issuer.setup import add_clerk
    from issuer.stores import open_store

    path = root / STATE_DIR / CLERK_KEY_FILE
    store = open_store(settings, exclusive=False)
    try:
        clerk = next((c for c in store.clerks() if c.name == CLERK), None)
        if clerk is not None:
            key = _kept_clerk_key(path, root)
            try:
                if Keyring(store, system_clock).authenticate(key).id == clerk.id:
                    return key
            except Error:
                pass
            raise UP_CLERK_KEY_INVALID(
                f"{path} does not hold clerk {CLERK}'s API key; {_new_clerk_key(path, root)}"
            )
    finally:
        store.close()
    made = add_clerk(settings, CLERK, ["issue", "revoke"])  # none yet, or taken away
    write_private(path, made.api_key.encode("utf-8"))
    return str(made.api_key)


def _kept_clerk_key(path: Path, root: Path) -> str:
    if not path.exists():
        raise UP_CLERK_KEY_INVALID(
            f"{path} is missing, and clerk {CLERK} exists; {_new_clerk_key(path, root)}"
        )
    try:
        # A named pipe or a device in its place is told at once, never read: opening a pipe
        # would wait for a writer for ever, and ``up`` with it.
        raw = read_bounded(
            path, MAX_CLERK_KEY_BYTES, too_large=UP_CLERK_KEY_INVALID,
            message=f"{path} does not hold an API key", not_regular=UP_CLERK_KEY_INVALID,
        )  # fmt: skip
    except Error as exc:
        raise UP_CLERK_KEY_INVALID(f"{exc.message}; {_new_clerk_key(path, root)}") from None
    try:
        return raw.decode("ascii").strip()
    except ValueError:  # not ASCII
        raise UP_CLERK_KEY_INVALID(
            f"{path} does not hold an API key; {_new_clerk_key(path, root)}"
        ) from None


def _new_clerk_key(path: Path, root: Path) -> str:
    return (
        f"for a new key, take the clerk away (`civicid issuer remove-clerk {CLERK} "
        f"--data-dir {root}`) and run this again"
    )


def ensure_verifier(
    root: Path,
    ledger: Ledgered,
    ledger_url: str,
    port: int,
    database_url: str | None = None,
    witness_policy: Path | None = None,
    new_desk_store: bool = False,
) -> Any:
    """Bind the verifier in ``root`` to the desk identity and the example policies (its
    requests and decisions in ``database_url`` if given). With ``new_desk_store``, a store
    lost from a desk that ran here is made again, empty (``check_desk_store``)."""
    from verifier.service import Verifier
    from verifier.settings import CONFIG_FILE, VerifierSettings

    public = f"http://127.0.0.1:{port}"
    flags: dict[str, Any] = {"ledger_url": ledger_url, "checkpoint_key": ledger.vkey,
                             "public_url": public, "port": port, "desk": DESK,
                             "database_url": database_url,
                             "witness_policy": witness_policy}  # fmt: skip
    settings = VerifierSettings.load(root, **flags)
    if settings.database_url is None and settings.trust_file.exists() and not new_desk_store:
        check_desk_store(root, settings.store_path, settings.trust_file)  # its settings or not
    if not os.path.lexists(root / CONFIG_FILE):
        settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)  # requests, decisions
        settings.policies_path.mkdir(parents=True, exist_ok=True)
        for path in sorted((EXAMPLES / "policies").glob("*.toml")):
            # A policy found is the desk's own (its settings file lost, say): kept as it is.
            if not os.path.lexists(settings.policies_path / path.name):
                shutil.copy(path, settings.policies_path / path.name)
        settings.rewrite()
        Verifier.open(settings).close()  # each policy checked against the ledger now
    return settings


def check_desk_store(root: Path, store: Path, trust_file: Path) -> None:
    """A desk store lost where the desk ran (``verifier.store_file.require_store_kept``):
    ``up_desk_store_missing``; ``--new-desk-store`` starts afresh."""
    from verifier.store_file import require_store_kept

    afresh = f"civicid up --data-dir {root} --new-desk-store"
    require_store_kept(store, trust_file, missing=UP_DESK_STORE_MISSING, afresh=afresh)


@contextmanager
def running(
    root: Path, ports: Ports, database_url: str | None = None, *, new_desk_store: bool = False
) -> Iterator[Running]:
    """Set up what is missing in ``root`` and serve the three services until the block ends
    (the ledger's log, the issuer's and the verifier's stores in ``database_url`` if given,
    or in CIVICID_DATABASE_URL's). ``new_desk_store``: ``ensure_verifier``'s."""
    from civicid.shell.server import tune_collector
    from issuer.app import create_app as issuer_app
    from verifier.app import create_app as verifier_app

    tune_collector()  # the services served here, as each one's own serve command does
    root.mkdir(parents=True, exist_ok=True)
    settings = ledger_settings(root, database_url)
    ledger = ensure_ledger(root, database_url=settings.database_url)
    with ExitStack() as stack:
        witnesses = serve_witnesses(stack, ensure_witnesses(root, ledger), ports.witnesses)
        policy = write_witness_policy(root, witnesses)
        ledger_url = stack.enter_context(
            serving(
                ledger_app(root, database_url, policy),
                ports.ledger,
                settings=ledger_settings(root, database_url, policy),
            )
        )
        client = LedgerClient(
            ledger_url,
            ledger.vkey,
            trust_file=root / STATE_DIR / "checkpoint",
            policy=CheckpointPolicy.load(policy),
            remember=True,
        )
        stack.callback(client.close)
        # Accepted as Trust.checkpoint accepts it, polled until the witnesses have cosigned:
        # from then on every client here will accept the ledger's checkpoints.
        client.witnessed_covering(1)
        keys = KeyStore(root / "keys")
        issuer_public = f"http://127.0.0.1:{ports.issuer}"
        agency, _ = ensure_identity(client, ledger, keys, AGENCY, "agency", issuer_public,
                                    set_up_by=root / "issuer.toml")  # fmt: skip
        check_issuer_address(agency.document, issuer_public)
        desk, _ = ensure_identity(client, ledger, keys, DESK, "service-desk",
                                  set_up_by=root / "verifier.toml")  # fmt: skip
        trust = Trust(client)  # every question below is the kernel's, as the parts ask it
        ensure_accreditations(trust, ledger, agency, desk)
        ensure_type(trust, ledger, agency)
        database = settings.database_url  # the issuer and verifier keep theirs there too
        named = as_setting(policy, root)  # as the issuer's and the desk's settings name it
        issuer_settings = ensure_issuer(
            root, ledger, ledger_url, ports.issuer, client, database, named
        )
        clerk_key = ensure_clerk(root, issuer_settings)
        verifier_settings = ensure_verifier(
            root, ledger, ledger_url, ports.verifier, database, named, new_desk_store
        )
        # Served as each part's own ``serve`` does: one process, one budget of connections.
        issuer_url = stack.enter_context(
            serving(issuer_app(issuer_settings), ports.issuer, settings=issuer_settings)
        )
        verifier_url = stack.enter_context(
            serving(verifier_app(verifier_settings), ports.verifier, settings=verifier_settings)
        )
        yield Running(root, ledger_url, issuer_url, verifier_url, ledger, agency, desk,
                      clerk_key, client, tuple(witnesses), policy)  # fmt: skip
