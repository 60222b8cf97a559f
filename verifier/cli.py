"""``civicid verifier …``: set up a desk, serve it, ask for a presentation, check one from a
file, work offline. Thin: calls ``verifier.service`` and prints."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from civicid.clock_check import check_clock
from civicid.console import (
    LEDGER_URLS_HELP,
    AsJson,
    DatabaseUrl,
    DataDir,
    emit,
    reflowed,
    reporting,
)
from civicid.errors import Error
from civicid.settings import DEFAULT_HOST, VERIFIER_PORT
from civicid.times import rfc3339, system_clock

# The desk's service, settings and policies, and the ledger and HTTP clients they use (over
# half a second of imports), are imported by the commands that use them: `civicid verifier
# --help` needs none.
if TYPE_CHECKING:
    from civicid.http import HttpClient
    from civicid.policy import Policy
    from verifier.settings import VerifierSettings

EXAMPLE_POLICIES: Final = Path(__file__).parents[1] / "examples" / "policies"
# How often `request` asks the desk whether the wallet has answered.
POLL_SECONDS: Final = 1.0

app = typer.Typer(
    help="The service desk: eligibility policies, OpenID4VP requests, checks, receipts.",
    no_args_is_help=True,
)

Ledger = Annotated[
    str | None,
    typer.Option("--ledger", envvar="CIVICID_LEDGER_URL", help=LEDGER_URLS_HELP),
]
PolicyName = Annotated[str, typer.Option("--policy", help="The policy's name (see `policies`).")]


def settings_of(data_dir: Path, **flags: Any) -> VerifierSettings:
    from verifier.settings import VerifierSettings

    return VerifierSettings.load(data_dir, **flags)


@app.command()
@reflowed
def init(
    data_dir: DataDir,
    desk: Annotated[
        str, typer.Option(help="The desk's identity in <data-dir>/keys (ledger register …).")
    ],
    ledger: Ledger = None,
    checkpoint_key_: Annotated[
        str | None,
        typer.Option(
            "--checkpoint-key", help="The ledger's checkpoint key.", show_default="the key store's"
        ),
    ] = None,
    policies: Annotated[
        Path | None,
        typer.Option(help="A directory of policy files to install.", show_default="the examples"),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(help="The URL wallets reach this desk at.", show_default="http://host:port"),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Bind this data dir to a desk identity and a ledger, and install policies.

    Each policy is refused unless the desk is accredited on the ledger for every claim it asks.
    """
    from verifier.setup import initialize

    with reporting(as_json):
        settings = settings_of(
            data_dir,
            desk=desk,
            ledger_url=ledger,
            checkpoint_key=checkpoint_key_,
            public_url=public_url,
        )
        done = initialize(settings, policies or EXAMPLE_POLICIES)
        data = done.to_json()
        emit(
            as_json,
            data,
            lambda: (
                f"desk {done.did}\n"
                f"  ledger    {settings.ledger_url}\n"
                f"  policies  {', '.join(done.policies)} (accredited on the ledger)\n"
                f"  settings  {done.config}"
            ),
        )


@app.command()
def serve(
    data_dir: DataDir,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on.", show_default=DEFAULT_HOST)
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="TCP port to listen on.", show_default=str(VERIFIER_PORT))
    ] = None,
    ledger: Ledger = None,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request.")] = False,
    database_url: DatabaseUrl = None,
    new_desk_store: Annotated[
        bool,
        typer.Option(
            "--new-desk-store",
            help="Where the desk's store was lost (verifier_store_missing), start its records"
            " afresh in an empty one, keeping the ledger checkpoint the desk accepted.",
        ),
    ] = False,
) -> None:
    """Serve the desk: its page at /, OpenID4VP endpoints, OpenAPI at /docs."""
    from civicid.shell.server import listen, serve, server_config
    from verifier.app import create_app
    from verifier.errors import VERIFIER_STORE_MISSING
    from verifier.service import Verifier, open_store
    from verifier.settings import require_init
    from verifier.store_file import require_store_kept

    with reporting(False):
        settings = settings_of(
            data_dir, host=host, port=port, ledger_url=ledger, database_url=database_url
        )
        require_init(settings)
        check_clock(data_dir, [settings.home], time.time())
        if settings.database_url is None and not new_desk_store:
            afresh = f"civicid verifier serve --data-dir {data_dir} --new-desk-store"
            require_store_kept(
                settings.store_path,
                settings.trust_file,
                missing=VERIFIER_STORE_MISSING,
                afresh=afresh,
            )
        # The store opened (and checked: a damaged one refused) before the port is bound: a
        # desk whose store cannot open never listens, not even for a moment. The port is
        # bound before the ledger is asked about the policies: a port taken is told at once.
        open_store(settings).close()
        sock = listen(settings.host, settings.port, option="--port")
        try:
            verifier = Verifier.open(settings)
        except BaseException:
            sock.close()
            raise
        typer.echo(f"desk {verifier.desk.did} at {settings.base_url}/", err=True)
        try:
            app = create_app(settings, verifier=verifier)
            serve(server_config(settings, app, access_log=access_log), sock)
        finally:
            verifier.close()
            sock.close()


@app.command()
@reflowed
def request(
    data_dir: DataDir,
    policy: PolicyName,
    url: Annotated[
        str | None, typer.Option(help="The running desk's URL.", show_default="from the settings")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Wait for the wallet's answer.")] = True,
    as_json: AsJson = False,
) -> None:
    """Ask a wallet for a presentation: print the link and a QR code, wait for the decision.

    Exit 0 eligible, 1 not eligible. The desk must be serving (civicid verifier serve).
    """
    import segno

    from civicid.http import HttpClient
    from verifier.decision_text import text_of

    with reporting(as_json):
        settings = settings_of(data_dir)
        base = (url or settings.base_url).rstrip("/")
        with HttpClient(base) as http:
            created = http.post_json("/requests", json={"policy": policy})
            if not as_json:
                typer.echo(f"{created['title']}: {created['purpose']}")
                segno.make(created["link"], error="m").terminal(out=sys.stdout, compact=True)
                typer.echo(created["link"])
                typer.echo(f"expires at {created['expires_at']}", err=True)
                if wait:
                    typer.echo(
                        "waiting for the wallet's answer (Ctrl-C stops waiting; the request"
                        " stays valid until then)",
                        err=True,
                    )
            if not wait:
                emit(as_json, created, "")
                return
            decision = poll(http, str(created["status_url"]))
        if decision is None:
            emit(as_json, {"status": "expired"}, "the request expired before any answer")
            raise typer.Exit(1)
        emit(as_json, decision, lambda: text_of(decision, local_policy(settings, policy)))
        if not decision["eligible"]:
            raise typer.Exit(1)


def local_policy(settings: VerifierSettings, name: str) -> Policy | None:
    """The policy ``name`` as this desk's files hold it, to word its conditions; None if
    they do not (a desk asked by its URL from elsewhere): the decision is printed as sent."""
    from verifier.policy import load_policies

    try:
        return load_policies(settings.policies_path).get(name)
    except Error:
        return None


def poll(http: HttpClient, status_url: str) -> dict[str, Any] | None:
    while True:
        state = http.get_json(status_url)
        if state["status"] == "decided":
            decision: dict[str, Any] = state["decision"]
            return decision
        if state["status"] == "expired":
            return None
        time.sleep(POLL_SECONDS)


@app.command()
@reflowed
def check(
    data_dir: DataDir,
    file: Annotated[Path, typer.Argument(help="A presentation (SD-JWT+KB) in a file; - = stdin.")],
    policy: PolicyName,
    nonce: Annotated[str, typer.Option(help="The nonce the presentation must be bound to.")],
    offline: Annotated[
        bool, typer.Option(help="Check against the last `sync` snapshot, without a network.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Check a presentation from a file against a policy, online or from the snapshot.

    Exit 0 eligible, 1 not eligible. --offline uses the last sync and says how old it is.
    """
    from verifier.decision_text import text_of
    from verifier.service import Verifier
    from verifier.settings import require_init

    with reporting(as_json):
        settings = settings_of(data_dir)
        require_init(settings)
        text = sys.stdin.read() if str(file) == "-" else file.read_text("utf-8")
        verifier = Verifier.open(settings, offline=offline)
        try:
            chosen = verifier.policy(policy)
            decision = verifier.check(text.strip(), policy=chosen, nonce=nonce)
            verifier.audit(decision)
        finally:
            verifier.close()
        data = decision.to_json()
        summary = text_of(data, chosen)
        if offline and verifier.trust.as_of is not None:
            age = system_clock() - verifier.trust.as_of
            data["snapshot_synced_at"] = rfc3339(verifier.trust.as_of)
            summary += f"\n  snapshot from {rfc3339(verifier.trust.as_of)} ({age}s old)"
            witnessed = verifier.trust.client.witnessed
            if witnessed is not None:
                data["snapshot_checkpoint"] = witnessed.describe()
                summary += f"\n  its checkpoint: {witnessed.describe()}"
        emit(as_json, data, summary)
        if not decision.eligible:
            raise typer.Exit(1)


@app.command()
@reflowed
def sync(
    data_dir: DataDir,
    ledger: Ledger = None,
    as_json: AsJson = False,
) -> None:
    """Take an offline snapshot of what the policies need from the ledger, with proofs.

    The checkpoint, issuers' keys and accreditations, types and status lists: for
    `check --offline`.
    """
    from verifier.service import Verifier, checkpoint_key
    from verifier.settings import require_init
    from verifier.snapshot import sync as record_snapshot

    with reporting(as_json):
        settings = settings_of(data_dir, ledger_url=ledger)
        require_init(settings)
        verifier = Verifier.open(settings, check_accreditation=False)
        try:
            snapshot = record_snapshot(
                ledger_url=settings.ledger_url,
                vkey=checkpoint_key(settings),
                trust_file=settings.trust_file,
                desk=verifier.desk.did,
                policies=list(verifier.policies.values()),
                status_lists=sorted(
                    set(verifier.store.status_uris())
                    | {u for p in verifier.policies.values() for u in p.status_lists}
                ),
                clock=system_clock,
                checkpoint_policy=settings.checkpoint_policy(),
            )
        finally:
            verifier.close()
        snapshot.save(settings.snapshot_path)
        summary = snapshot.summary()
        witnessed = snapshot.witnessed(checkpoint_key(settings), settings.checkpoint_policy())
        summary["witnessed"] = witnessed.describe()
        emit(
            as_json,
            summary,
            lambda: "\n".join(
                [
                    f"snapshot of checkpoint size {snapshot.checkpoint_size} at "
                    f"{summary['synced_at']}: {len(snapshot.exchanges)} proven answers",
                    f"  checkpoint: {witnessed.describe()}",
                    f"  status lists: {', '.join(snapshot.status_lists) or 'none seen yet'}",
                    f"  saved to {settings.snapshot_path}",
                    *(f"  not recorded: {p}" for p in snapshot.problems),
                ]
            ),
        )


@app.command()
def policies(data_dir: DataDir, as_json: AsJson = False) -> None:
    """List the desk's policies: what each asks for and what makes someone eligible."""
    from verifier.policy import load_policies
    from verifier.settings import require_init

    with reporting(as_json):
        settings = settings_of(data_dir)
        require_init(settings)  # no desk here is said as such, not as its policies lost
        found = load_policies(settings.policies_path)
        data = [p.to_json() for p in found.values()]

        def table() -> str:
            if not found:
                return f"no policies in {settings.policies_path}"
            lines = []
            for p in found.values():
                conditions = "; ".join(x.describe() for x in p.predicates) or "none"
                lines.append(f"{p.name}  {p.title}")
                lines.append(f"  asks for   {', '.join(p.requested)}")
                lines.append(f"  conditions {conditions}")
                lines.append(f"  accepts    {', '.join(p.credential_types)}")
            return "\n".join(lines)

        emit(as_json, data, table)


@app.command()
@reflowed
def audit(
    data_dir: DataDir,
    limit: Annotated[int, typer.Option(help="The last N decisions.")] = 50,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """The audit trail: each decision's time, policy, outcome, failing step, type, issuer.

    No claim value is ever kept; claims a wallet sent unasked are dropped and only counted.
    """
    from verifier.service import open_store
    from verifier.settings import require_init

    with reporting(as_json):
        settings = settings_of(data_dir, database_url=database_url)
        require_init(settings)
        store = open_store(settings)
        try:
            records = store.audit_trail(limit)
        finally:
            store.close()
        emit(
            as_json,
            records,
            lambda: (
                "\n".join(
                    f"{r['time']}  {r['policy']:<18} {r['decision']:<12} "
                    f"{r.get('code') or '':<26} {r.get('issuer') or ''}"
                    + (
                        f"  ({r['over_disclosed']} unasked claims dropped)"
                        if r.get("over_disclosed")
                        else ""
                    )
                    for r in records
                )
                or "no decisions yet"
            ),
        )


@app.command(name="remove-policy")
@reflowed
def remove_policy(
    name: Annotated[str, typer.Argument(help="The policy's name (its file is NAME.toml).")],
    data_dir: DataDir,
    as_json: AsJson = False,
) -> None:
    """Remove a policy from the desk: its file, and its name among those init installed.

    A policy init installed whose file is gone stops the desk (policy_lost): a lost file is not
    a choice to serve without it. The desk serves without it from its next start."""
    from verifier.policy import remove_policy as remove_policy_of
    from verifier.settings import require_init

    with reporting(as_json):
        settings = settings_of(data_dir)
        require_init(settings)
        had_file = remove_policy_of(settings.policies_path, name)
        gone = "removed" if had_file else "its file was already gone; now removed"
        emit(
            as_json,
            {"policy": name, "removed": True, "hadFile": had_file},
            f"policy {name}: {gone} (the desk serves without it from its next start)",
        )


@app.command(name="forget-witnesses")
@reflowed
def forget_witnesses(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Forget the witness policy this desk ran under, to trust the ledger's signature alone.

    Without it, a desk that accepted checkpoints under a witness policy refuses to start
    with none (witness_policy_lost): a lost verifier.toml is not a choice to drop witnesses."""
    with reporting(as_json):
        settings = settings_of(data_dir)
        data, text = settings.forget_witnesses(settings.trust_file)
        emit(as_json, data, text)


@app.command(name="forget-checkpoint")
@reflowed
def forget_checkpoint(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Forget the ledger checkpoint this desk trusted, to trust the ledger's next on first use.

    Without it, a desk that trusted a checkpoint and lost the file that keeps it refuses to
    start (trust_file_lost): a lost file is not a first run, and would let a rolled-back or
    forked ledger pass. Restore the file from a backup if there is one."""
    from civicid.ledger_client import forget_checkpoint_command

    with reporting(as_json):
        settings = settings_of(data_dir)
        emit(as_json, *forget_checkpoint_command(settings.trust_file))
