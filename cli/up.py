"""``civicid up``: three witnesses, the ledger, the agency's issuer and the desk's verifier
left running on loopback for a person to explore, over a named data directory kept between runs.

The first run sets everything up (genesis, identities, accreditations, the national ID type,
the issuer and the desk); later runs find it and start the services again. One ``up`` per
data directory: a second says the first is running. Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

import typer

from civicid import clock_check
from civicid import transaction as tx_types
from civicid.console import AsJson, DatabaseUrl, DataDir, emit, reflowed, reporting
from civicid.errors import Conflict, Error, InvalidInput, NotFound, StorageError, declare
from civicid.files import open_regular
from civicid.issuance_rules import ISSUANCE_RULE_NOT_FOUND, ISSUANCE_RULE_WITHDRAWN
from civicid.keystore import KeyStore
from civicid.ledger_client import forget_checkpoint_command
from civicid.settings import (
    DEFAULT_HOST,
    ISSUER_PORT,
    LEDGER_PORT,
    VERIFIER_PORT,
    WITNESS_PORT,
)
from civicid.shell.errors import SERVICE_PORT_IN_USE
from civicid.shell.settings import DATABASE_URL_ENV
from civicid.status_uri import base_urls
from civicid.trust import Trust
from cli import demo_federation, demo_rules, stack
from cli.harness import free_port, serving
from wallet.settings import WalletSettings

LOCK_FILE: Final = "up.lock"
TRUST_FILE: Final = "checkpoint"  # up's own client's, in stack/ (cli/stack.py)
CLAIMS: Final = Path(__file__).resolve().parent.parent / "examples/types/national-id.claims.json"
RULE_CONFIG: Final = "senior-transit-pass"
UP_RUNNING = declare("up_already_running", Conflict, "civicid up already runs on this data dir")
UP_RULE_PORT_CHANGED = declare(
    "up_rule_port_changed", Conflict, "the rule's issuer must keep its first port"
)
UP_DIR_UNWRITABLE = declare("up_dir_unwritable", StorageError, "cannot write the data directory")
UP_PORTS_INVALID = declare(
    "up_ports_invalid", InvalidInput, "a port out of range, or one port given to two services"
)
# The highest TCP port; the witnesses take the first witness port and the two after it.
MAX_PORT: Final = 65535
UP_CLOCK_BEHIND = declare(
    "up_clock_behind", Conflict, "the clock reads before what the data directory last recorded"
)
# Where the services write as they run (the ledger's log, up's client's checkpoint): the
# newest of these files is when the data dir last recorded anything.
WRITTEN_AS_RUN: Final = ("ledger", stack.STATE_DIR)


@contextmanager
def only_one(root: Path) -> Iterator[Path]:
    """Hold ``<root>/stack/up.lock`` for as long as the services run; it names the running
    process and its URLs, so a second ``up`` can say where the first one is."""
    folder = root / stack.STATE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # A named pipe, a directory or a device in the lock's place is told as such (a pipe
        # opened to append failed its seek: "cannot write …/stack: None").
        fd = open_regular(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, UP_DIR_UNWRITABLE, 0o644)
        handle = open(fd, "r+", encoding="utf-8")  # noqa: SIM115 (held open)
    except OSError as exc:  # named as the failure names it: the folder, or the lock in it
        where = exc.filename if exc.filename is not None else folder
        raise UP_DIR_UNWRITABLE(f"cannot write {where}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            running = handle.read().strip() or "another process"
            raise UP_RUNNING(
                f"civicid up is already running on {root}: {running}; use that one (its"
                " terminal shows the URLs and what to do next), or stop it there with Ctrl-C"
                " first"
            ) from None
        yield folder / LOCK_FILE
    finally:
        handle.close()


@reflowed
def up(
    data_dir: DataDir,
    ledger_port: Annotated[int, typer.Option(help="Port of the ledger.")] = LEDGER_PORT,
    issuer_port: Annotated[int, typer.Option(help="Port of the issuer.")] = ISSUER_PORT,
    verifier_port: Annotated[int, typer.Option(help="Port of the verifier.")] = VERIFIER_PORT,
    database_url: DatabaseUrl = None,
    witness_port: Annotated[
        int, typer.Option(help="Port of the first witness; the others on the next ones.")
    ] = WITNESS_PORT,
    rule_port: Annotated[
        int,
        typer.Option(
            help="Port of the transport authority's issuer, which issues a senior transit"
            " pass by its public rule (the wallet's key a, Ask by rule): 0, a free one at the"
            " first run, then the one its DID names. Not served on a PostgreSQL database."
        ),
    ] = 0,
    federation: Annotated[
        bool,
        typer.Option(
            "--federation", help="Also a second country's ledger and desk, pinning this ledger."
        ),
    ] = False,
    forget_checkpoint: Annotated[
        bool,
        typer.Option(
            "--forget-checkpoint",
            help="Forget the ledger checkpoint up's own client trusted (stack/checkpoint), to"
            " trust the ledger's next on first use, and exit: a lost one is refused"
            " (trust_file_lost). The desk's and the issuer's: `civicid verifier|issuer"
            " forget-checkpoint`.",
        ),
    ] = False,
    new_desk_store: Annotated[
        bool,
        typer.Option(
            "--new-desk-store",
            help="Where the desk's store was lost (up_desk_store_missing), start its records"
            " afresh in an empty one, keeping the ledger checkpoint the desk accepted.",
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Run 3 witnesses, ledger, issuer, desk and a rule's issuer on loopback until Ctrl-C.

    Set up at the first run over the data dir, found at the next ones. It prints the URLs,
    then what to do next: the wallet, a clerk's offer, the desk page, asking by a rule."""
    if forget_checkpoint:
        with reporting(as_json):
            emit(as_json, *forget_own_checkpoint(data_dir))
        return
    with reporting(as_json):
        witnesses = tuple(witness_port + i if witness_port else 0 for i in range(3))
        ports = stack.Ports(ledger_port, issuer_port, verifier_port, witnesses)
        check_ports(ports, rule_port)
        check_clock(data_dir, time.time())
        with (
            only_one(data_dir) as lock,
            all_ports_told(ports),
            port_told(ports),
            stack.running(data_dir, ports, database_url, new_desk_store=new_desk_store) as services,
            ExitStack() as extra,
        ):
            with open(lock, "w", encoding="utf-8") as note:
                note.write(f"pid {os.getpid()}, ledger {services.ledger_url}\n")
            point_the_wallet(data_dir, services)
            by_rule = None
            if not on_a_database(database_url):
                by_rule = up_rule(extra, data_dir, services, rule_port)
            abroad = demo_federation.up_abroad(extra, data_dir, services) if federation else None
            # Listen for Ctrl-C before saying we are up: a signal sent the moment the
            # description appears must stop us, not be lost.
            with stopping() as wait:
                described = services.to_json()
                if by_rule is not None:
                    described["rule"] = by_rule.to_json()
                if abroad is not None:
                    described["federation"] = abroad.to_json()
                if as_json:
                    typer.echo(json.dumps(described, indent=2))
                else:
                    typer.echo(describe(services, data_dir, by_rule))
                    if abroad is not None:
                        typer.echo(demo_federation.describe(abroad))
                wait()
        if not as_json:
            typer.echo("stopped; everything is kept in " + str(data_dir))


def check_ports(ports: stack.Ports, rule_port: int) -> None:
    """Refuse, before anything is made, a port out of range (the last witness's included) or
    one port given to two services: else the service started last would fail on the port of
    another (said as "another program holds it"), a first run half made behind it."""
    given = {
        "--ledger-port": [ports.ledger],
        "--issuer-port": [ports.issuer],
        "--verifier-port": [ports.verifier],
        "--witness-port": list(ports.witnesses),
        "--rule-port": [rule_port],
    }
    for option, said in given.items():
        if any(not 0 <= port <= MAX_PORT for port in said):
            takes = " (and the two after it, for the other witnesses)" * (len(said) > 1)
            raise UP_PORTS_INVALID(
                f"{option} {said[0]}{takes} is past the ports there are (1-{MAX_PORT}; 0: any"
                " free one)"
            )
    seen: dict[int, str] = {}
    for option, said in given.items():
        for port in said:
            if port and port in seen:
                raise UP_PORTS_INVALID(
                    f"port {port} is given to both {seen[port]} and {option}: give each "
                    "service its own (the witnesses take --witness-port and the two after it)"
                )
            seen.setdefault(port, option)


def check_clock(root: Path, now: float) -> None:
    """Refuse to start on a clock that reads well before the data dir's last write, as each
    service refuses (``civicid.clock_check``), before any of them starts: ``up_clock_behind``."""
    written = [root / name for name in WRITTEN_AS_RUN]
    clock_check.check_clock(root, written, now, code=UP_CLOCK_BEHIND)


@contextmanager
def port_told(ports: stack.Ports) -> Iterator[None]:
    """A port taken (``service_port_in_use``) told with what to do: which option moves it,
    and that another ``civicid up`` (over another data dir) may be the one holding it."""
    try:
        yield
    except Error as exc:
        if not SERVICE_PORT_IN_USE.matches(exc):
            raise
        option = option_of(exc.message, ports)
        raise SERVICE_PORT_IN_USE(
            f"{exc.message}: another program holds it (another `civicid up`, over another"
            f" data dir?); stop it, or {option}"
        ) from exc


@contextmanager
def all_ports_told(ports: stack.Ports) -> Iterator[None]:
    """Two or more of up's ports taken (another ``civicid up`` over another data dir holds
    them all) are told at once, each with the option that moves it: found one at a time,
    a person would move one port, run again, and meet the next."""
    taken = [port for port in ports_of(ports) if not free(port)]
    if len(taken) > 1:
        said = (option_of(f":{port}:", ports).removeprefix("pass ") for port in taken)
        options = list(dict.fromkeys(said))  # the witnesses' once
        raise SERVICE_PORT_IN_USE(
            f"cannot listen on {DEFAULT_HOST} ports {', '.join(map(str, taken))}: another"
            " program holds them (another `civicid up`, over another data dir?); stop it,"
            f" or pass {' and '.join(options)}"
        )
    yield


def ports_of(ports: stack.Ports) -> list[int]:
    return [p for p in (ports.ledger, ports.issuer, ports.verifier, *ports.witnesses) if p]


def free(port: int) -> bool:
    """Nothing listens on ``port`` here (a socket may bind it as the services will)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((DEFAULT_HOST, port))
        except OSError:
            return False
    return True


def option_of(message: str, ports: stack.Ports) -> str:
    """Which of up's options moves the port ``message`` names ("cannot listen on HOST:PORT:
    why", as ``civicid.shell.server.listen`` says it)."""
    options = [
        (ports.ledger, "pass --ledger-port PORT"),
        (ports.issuer, "pass --issuer-port PORT"),
        (ports.verifier, "pass --verifier-port PORT"),
        *(
            (port, "pass --witness-port PORT (the three witnesses take PORT to PORT+2)")
            for port in ports.witnesses
            if port
        ),
    ]
    for port, option in options:
        if f":{port}:" in message:
            return option
    return "pass other ports (civicid up --help)"


@dataclass(frozen=True, slots=True)
class RuleUp:
    """The transport authority's issuer, and the rule it issues by."""

    url: str
    did: str
    rule: str

    def to_json(self) -> dict[str, Any]:
        return {"issuer": self.url, "did": self.did, "name": self.rule}


def on_a_database(database_url: str | None) -> bool:
    """The issuers' stores on PostgreSQL (given, or from the environment): the rule's issuer
    is not served there (a second issuer would share the agency's tables)."""
    names = (DATABASE_URL_ENV, "CIVICID_ISSUER_DATABASE_URL")
    return database_url is not None or any(os.environ.get(n) for n in names)


def up_rule(extra: ExitStack, root: Path, services: stack.Running, port: int) -> RuleUp:
    """``civicid demo``'s transport authority (cli/demo_rules.py): registered, accredited for
    the senior transit pass, its type and its rule (examples/rules/senior-transit.toml) on
    the ledger, and its issuer served at ``port``, which issues by that rule. Set up at the
    first run, found at the next ones (a rule withdrawn since is left withdrawn)."""
    from issuer.app import create_app as issuer_app
    from issuer.settings import ConfigurationSettings

    name = demo_rules.TRANSPORT
    home = root / name
    keys = KeyStore(home / "keys")
    client, ledger = services.client, services.ledger
    if keys.exists(name):
        who = keys.identity(name)
        port = port or first_port(who.document)
        public = f"http://127.0.0.1:{port}"
        check_rule_port(who.document, public)
    else:
        stack.check_not_lost(keys, name, home / "issuer.toml")
        port = port or free_port()
        public = f"http://127.0.0.1:{port}"
        who = demo_rules.register(
            client, ledger, keys, name, "agency", demo_rules.TRANSPORT_NAMES, public
        )
    trust = Trust(client)
    now = trust.clock()
    if not trust.issuer_standing(who.did, demo_rules.SENIOR, now).accredited:
        stack.accredit(
            client, ledger, who.did, purpose="Issue concessions and aid",
            credential_types=[demo_rules.SENIOR],
        )  # fmt: skip
    try:
        trust.credential_type(demo_rules.SENIOR)
    except NotFound:
        demo_rules.submit(
            client, ledger, who, tx_types.CREDENTIAL_TYPE, demo_rules.senior_pass_type()
        )
    try:
        trust.issuance_rule(who.did, demo_rules.RULE, now)
    except Error as exc:
        if ISSUANCE_RULE_NOT_FOUND.matches(exc):
            demo_rules.submit(client, ledger, who, tx_types.ISSUANCE_RULE, demo_rules.senior_rule())
        elif not ISSUANCE_RULE_WITHDRAWN.matches(exc):
            raise
    policy = stack.as_setting(services.witness_policy, home)  # ../stack/…: moved with it
    flags: dict[str, Any] = {"ledger_url": services.ledger_url, "checkpoint_key": ledger.vkey,
                             "public_url": public, "port": port, "identity": name,
                             "witness_policy": policy}  # fmt: skip
    # One copy: OpenID4VCI's batch size is the issuer's, and a pass needs no more.
    config = ConfigurationSettings(id=RULE_CONFIG, vct=demo_rules.SENIOR, batch_size=1)
    stack.init_issuer_once(home, config, client, flags)
    settings = rule_issuer_settings(home, flags)
    try:
        url = extra.enter_context(serving(issuer_app(settings), port, settings=settings))
    except Error as exc:
        if not SERVICE_PORT_IN_USE.matches(exc):
            raise
        raise SERVICE_PORT_IN_USE(
            f"{exc.message}: another program holds it; stop it (the transport authority's"
            f" issuer, which issues by its rule, keeps port {port}: its DID names it)"
        ) from exc
    return RuleUp(url, who.did, demo_rules.RULE)


def rule_issuer_settings(home: Path, flags: dict[str, Any]) -> Any:
    """The rule's issuer's settings, checked as up's own issuer's are."""
    return stack.configured_issuer(
        home, flags, " (the transport authority's issuer, which issues by its rule)"
    )


def first_port(document: dict[str, Any]) -> int:
    """The port of the address the agency's DID names for its issuer (0 if none does)."""
    ports = [urlsplit(b).port for b in base_urls(document)]
    return next((p for p in ports if p), 0)


def check_rule_port(document: dict[str, Any], public: str) -> None:
    """The rule's issuer is served where its agency's DID names it (set at the first run),
    as up's own issuer is (``stack.check_issuer_address``)."""
    stack.check_issuer_address(
        document,
        public,
        whose="the transport authority's",
        option="--rule-port",
        refusal=UP_RULE_PORT_CHANGED,
    )


def forget_own_checkpoint(root: Path) -> tuple[dict[str, Any], str]:
    """``up --forget-checkpoint``: forget the checkpoint up's own client trusted and its
    record, under up's lock (a running up would keep its checkpoint again at once)."""
    trust_file = root / stack.STATE_DIR / TRUST_FILE
    if not (root / stack.STATE_DIR).is_dir():  # nothing kept here: no lock to make either
        return forget_checkpoint_command(trust_file)
    with only_one(root):
        return forget_checkpoint_command(trust_file)


def point_the_wallet(data_dir: Path, services: stack.Running) -> None:
    """The wallet of this data dir talks to this ledger under its witnesses' policy: both are
    written to its settings file on every run (the ports may differ from the last run's),
    keeping whatever else a person set there."""
    WalletSettings.load(data_dir).save(
        ledger_url=services.ledger_url,
        witness_policy=stack.as_setting(services.witness_policy, data_dir),
    )


def shown(path: Path) -> str:
    """``path`` as a person types it here: relative when under the working directory."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def program() -> str:
    """How to run ``civicid`` from another terminal: its name when it is on the PATH, else
    the very program running now (from ``.venv/bin`` without the environment activated)."""
    if shutil.which("civicid"):
        return "civicid"
    here = Path(os.path.abspath(sys.argv[0]))
    return shown(here) if here.name == "civicid" else "civicid"


def describe(services: stack.Running, data_dir: Path, by_rule: RuleUp | None = None) -> str:
    data: dict[str, Any] = services.to_json()
    env = f"CIVICID_DATA_DIR={data_dir}"
    civicid = program()
    claims = shown(CLAIMS) if CLAIMS.is_file() else "examples/types/national-id.claims.json"
    return "\n".join(
        [
            f"CivicID is up (data in {data_dir}); Ctrl-C stops it.",
            "",
            f"  ledger    {data['ledger']['url']}   API docs {data['ledger']['docs']}",
            f"  issuer    {data['issuer']['url']}   staff API docs {data['issuer']['docs']}",
            f"  desk page {data['verifier']['deskPage']}",
            "  witnesses "
            + ", ".join(f"{w['name']} {w['url']}" for w in data["witnesses"]["members"])
            + f" (any {data['witnesses']['quorum']} must cosign each checkpoint)",
            "",
            f"  clerk API key   {services.clerk_key}",
            f"  checkpoint key  {services.ledger.vkey}",
            "",
            "Next, in another terminal:",
            "  1. The citizen's wallet, set to this ledger (its first run asks for a passphrase):",
            f"       {env} {civicid} wallet",
            "  2. A clerk offers the citizen a national ID; this prints an offer link and a code:",
            f"       {env} CIVICID_ISSUER_API_KEY={services.clerk_key} \\",
            f"         {civicid} issuer offer --record R-1 --claims {claims}",
            "  3. In the wallet: r, paste the offer link, Enter, then the transaction code.",
            "  4. On the desk page: choose a policy, Show QR code, Copy link;",
            "     in the wallet: p, paste the link, Enter, then Send. The page shows the decision.",
            *(by_rule_steps(by_rule) if by_rule is not None else []),
        ]
    )


def by_rule_steps(by_rule: RuleUp) -> list[str]:
    """Step 5: asking the transport authority by its rule, from the wallet."""
    return [
        "  5. A transport authority issues a senior transit pass (residents aged 65 or over)",
        f"     by its public rule: in the wallet: a, its address {by_rule.url}, Enter,",
        f"     the rule {by_rule.rule}, Enter, then Send. The example card's holder is",
        "     younger: the wallet says which condition is not met before anything is sent.",
    ]


@contextmanager
def stopping() -> Iterator[Callable[[], None]]:
    """While inside: SIGINT and SIGTERM ask to stop (whatever they did before, even if the
    parent ignored them); yields the wait that blocks until one comes."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: object) -> None:
        stop.set()

    def wait() -> None:
        while not stop.wait(0.5):
            pass

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield wait
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
