"""``civicid wallet …``: the citizen's wallet without the TUI, for scripts and tests; with no
command, the Textual app. Thin: each command opens the wallet, calls it, prints."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from civicid import words
from civicid.console import LEDGER_URLS_HELP, AsJson, DataDir, emit, inert, reflowed, reporting
from civicid.errors import EXIT_REFUSED, EXIT_UNAVAILABLE, Error
from civicid.terminal import hidden_line
from wallet.errors import (
    WALLET_CONSENT_NEEDED,
    WALLET_DECLINED,
    WALLET_EXISTS,
    WALLET_LEDGER_UNCONFIGURED,
    WALLET_PASSPHRASE_MISMATCH,
    WALLET_PASSPHRASE_MISSING,
    WALLET_TX_CODE_REQUIRED,
    WALLET_URI_INVALID,
)

# The wallet's holder and settings, and the ledger client they use (half a second of
# imports), are imported by the commands that use them: `civicid wallet --help` needs none.
if TYPE_CHECKING:
    from civicid.dcql import ClaimPath
    from wallet.holder.by_rule import Applied, RulePlan
    from wallet.holder.credentials import Credential
    from wallet.holder.history import Presentation
    from wallet.holder.issuance import OfferReview
    from wallet.holder.presentation import Outcome, Plan
    from wallet.holder.wallet import Wallet
    from wallet.settings import WalletSettings

# Environment variable names (for scripts), not secrets.
BACKUP_PASSPHRASE_ENV: Final = "CIVICID_WALLET_BACKUP_PASSPHRASE"  # noqa: S105
NEW_PASSPHRASE_ENV: Final = "CIVICID_WALLET_NEW_PASSPHRASE"  # noqa: S105
# How much of a desk's name (or DID) a history line shows.
DESK_CHARS: Final = 29

app = typer.Typer(
    help="The citizen's wallet: receive, hold and present credentials (no command: the app).",
    invoke_without_command=True,
)

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@app.callback()
def tui(ctx: typer.Context, data_dir: DataDir) -> None:
    """Open the wallet app (Textual) when no command is given."""
    if ctx.invoked_subcommand is not None:
        return
    from wallet.app import WalletApp
    from wallet.settings import WalletSettings

    WalletApp(WalletSettings.load(data_dir)).run()


def passphrase(
    prompt: str = "Wallet passphrase", *, env: str | None = None, confirm: bool = False
) -> str:
    """From the environment (scripts: ``env``, by default the wallet's passphrase variable),
    else a hidden prompt."""
    from wallet.settings import PASSPHRASE_ENV

    env = env or PASSPHRASE_ENV
    value = os.environ.get(env)
    if value:
        return value
    try:
        first = secret(prompt)
        again = secret("Again, to be sure") if confirm else first
    except typer.Abort as exc:
        raise WALLET_PASSPHRASE_MISSING(f"no passphrase given: type it, or set {env}") from exc
    if again != first:
        raise WALLET_PASSPHRASE_MISMATCH("the two passphrases differ; nothing was changed")
    return first


def secret(prompt: str) -> str:
    """A hidden prompt at a terminal; from a pipe, its next line, read as it is (a hidden
    prompt there warns that it cannot hide what is typed, naming Python's getpass file)."""
    if has_terminal():
        try:
            return hidden_line(prompt)  # what was typed ahead too (cli.main)
        except (EOFError, KeyboardInterrupt) as exc:
            raise typer.Abort from exc
    line = sys.stdin.readline()
    if not line.strip("\r\n"):
        raise typer.Abort
    return line.rstrip("\r\n")


def has_terminal() -> bool:
    """Whether someone can answer a prompt (stdin is a terminal)."""
    return sys.stdin.isatty()


def can_ask(yes: bool) -> None:
    """Refuse at once, before anything is fetched or spent, when nobody could be asked."""
    if not yes and not has_terminal():
        raise WALLET_CONSENT_NEEDED(
            "no terminal to ask you: pass -y (--yes) to agree in advance, or run this in a "
            "terminal; nothing was fetched or sent"
        )


def agree(question: str, yes: bool) -> None:
    if yes:
        return
    try:
        if typer.confirm(question, err=True):
            return
    except typer.Abort:
        pass
    raise WALLET_DECLINED("nothing was sent or stored; the link still works")


def declined(told: bool, asker: str, waiting: str, **details: Any) -> Error:
    """The citizen said no to a request shown: nothing was sent, and whether its ``asker``
    (a desk, an agency) heard so (``told``, in the details too, for scripts)."""
    return WALLET_DECLINED(
        "nothing was sent or stored; "
        + (
            f"the {asker} was told you declined"
            if told
            else f"the {asker} could not be told ({waiting} waits until the request expires)"
        ),
        told=told,
        **details,
    )


@contextmanager
def unlocked(data_dir: Path) -> Iterator[tuple[Wallet, str]]:
    """The wallet, opened with the passphrase it was opened with (for re-sealing)."""
    from wallet.holder.wallet import Wallet
    from wallet.settings import WalletSettings

    settings = WalletSettings.load(data_dir)
    Wallet.require(settings)  # no wallet here is said before its passphrase is asked for
    secret = passphrase()
    wallet = Wallet.open(settings, secret)
    try:
        yield wallet, secret
    finally:
        wallet.close()


@contextmanager
def opened(data_dir: Path) -> Iterator[Wallet]:
    with unlocked(data_dir) as (wallet, _):
        yield wallet


# -- lifecycle ------------------------------------------------------------------------------


LedgerUrl = Annotated[str | None, typer.Option("--ledger", help=LEDGER_URLS_HELP)]
LedgerKey = Annotated[
    str | None,
    typer.Option(help="The ledger's checkpoint key (vkey), as its operator publishes it."),
]


@app.command()
@reflowed
def init(
    data_dir: DataDir,
    ledger: LedgerUrl = None,
    ledger_key: LedgerKey = None,
    as_json: AsJson = False,
) -> None:
    """Create an empty wallet, sealed under a passphrase (Argon2id + AES-256-GCM).

    Everything is checked before the passphrase is asked, and nothing is written when init
    is refused: an existing wallet is kept as it is (change its ledger with `civicid wallet
    config`), and a wallet that could not check the ledger is not made (--ledger-key)."""
    from wallet.holder.wallet import Wallet
    from wallet.settings import WalletSettings, check_ledger_key

    with reporting(as_json):
        settings = WalletSettings.load(data_dir, ledger_url=ledger, ledger_key=ledger_key)
        if Wallet.exists(settings):
            raise WALLET_EXISTS(
                f"a wallet already exists in {settings.directory}: nothing was changed "
                "(civicid wallet config --ledger URL --ledger-key KEY changes its ledger)"
            )
        key = settings.key_or_none()
        if key is None:
            raise WALLET_LEDGER_UNCONFIGURED(
                "the wallet needs the ledger's checkpoint key to believe anything the ledger "
                "says: pass --ledger-key (as the ledger's operator publishes it); nothing was "
                "created"
            )
        check_ledger_key(key)
        Wallet.create(settings, passphrase(confirm=True)).close()
        if ledger or ledger_key:
            settings = settings.save(ledger_url=ledger, ledger_key=ledger_key)
        data = {"wallet": str(settings.store_path), "ledger": settings.ledger_url}
        emit(
            as_json,
            data,
            f"wallet created at {settings.store_path}\n  ledger {settings.ledger_url}",
        )


def settings_view(settings: WalletSettings) -> dict[str, Any]:
    from civicid.ledger_client import kept_policy_file
    from wallet.holder.wallet import Wallet

    return {
        "data_dir": str(settings.data_dir),
        "wallet": str(settings.store_path) if Wallet.exists(settings) else None,
        "ledger": settings.ledger_url,
        "ledger_key": settings.key_or_none(),
        "ledger_key_from": settings.key_source(),
        "idle_timeout": settings.idle_timeout,
        "http_timeout": settings.http_timeout,
        "http_deadline": settings.http_deadline,
        "witness_policy": None if settings.witness_policy is None else str(settings.witness_policy),
        # Kept beside the trust file once a checkpoint was accepted under a witness policy.
        "witnesses_kept": os.path.lexists(kept_policy_file(settings.trust_file)),
    }


def settings_text(view: dict[str, Any]) -> str:
    key = view["ledger_key"] or "none: civicid wallet config --ledger-key KEY"
    source = f" (from {view['ledger_key_from']})" if view["ledger_key_from"] else ""
    return "\n".join(
        [
            f"wallet        {view['wallet'] or 'none yet: civicid wallet init'}",
            f"ledger        {view['ledger']}",
            f"ledger key    {key}{source}",
            f"idle lock     after {view['idle_timeout']:g} s",
            f"network       {view['http_timeout']:g} s per step, "
            f"{view['http_deadline']:g} s per call",
            f"witnesses     {witnesses_text(view)}",
        ]
    )


def witnesses_text(view: dict[str, Any]) -> str:
    if view["witness_policy"] is not None:
        return f"as the policy in {view['witness_policy']} asks"
    if view["witnesses_kept"]:
        return (
            "none set, but this wallet ran under a witness policy: it refuses to open until"
            " witness_policy is restored (or civicid wallet forget-witnesses)"
        )
    return "none: the ledger's signature alone"


@app.command()
@reflowed
def config(
    data_dir: DataDir,
    ledger: LedgerUrl = None,
    ledger_key: LedgerKey = None,
    idle_timeout: Annotated[
        float | None,
        typer.Option(help="Lock after this many idle seconds.", show_default=False),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Show the wallet's settings; with options, change them (in wallet.toml).

    A new ledger key means another ledger: the checkpoint the wallet trusted is dropped."""
    from wallet.settings import WalletSettings, check_ledger_key

    with reporting(as_json):
        settings = WalletSettings.load(data_dir)
        if ledger_key is not None:
            check_ledger_key(ledger_key)
        if ledger or ledger_key or idle_timeout is not None:
            settings = settings.save(
                ledger_url=ledger, ledger_key=ledger_key, idle_timeout=idle_timeout
            )
        view = settings_view(settings)
        emit(as_json, view, settings_text(view))


@app.command(name="passphrase")
def change_passphrase(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Change the wallet's passphrase (the file is re-sealed with a fresh salt)."""
    with reporting(as_json):
        with unlocked(data_dir) as (wallet, old):
            new = passphrase("New passphrase", env=NEW_PASSPHRASE_ENV, confirm=True)
            wallet.change_passphrase(old, new)
        emit(as_json, {"changed": True}, "passphrase changed")


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the sealed backup.")],
    data_dir: DataDir,
    separate: Annotated[
        bool,
        typer.Option("--separate-passphrase", help="Seal the backup under its own passphrase."),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Write the whole wallet to one encrypted file (restore it on any machine)."""
    with reporting(as_json):
        with unlocked(data_dir) as (wallet, secret):
            if separate or os.environ.get(BACKUP_PASSPHRASE_ENV):
                secret = passphrase("Backup passphrase", env=BACKUP_PASSPHRASE_ENV, confirm=True)
            size = wallet.backup(file, secret)
        emit(
            as_json,
            {"backup": str(file), "bytes": size},
            f"backup written to {file} ({size:,} bytes)",
        )


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `civicid wallet backup`.")],
    data_dir: DataDir,
    as_json: AsJson = False,
) -> None:
    """Restore a backup into an empty (or not yet created) wallet."""
    from wallet.holder.wallet import Wallet
    from wallet.settings import WalletSettings

    with reporting(as_json):
        settings = WalletSettings.load(data_dir)
        secret = passphrase("Backup passphrase", env=BACKUP_PASSPHRASE_ENV)
        own = passphrase(confirm=not Wallet.exists(settings))
        with Wallet.restore(settings, file, secret, own) as wallet:
            count = len(wallet.credentials())
            entries = len(wallet.history())
        emit(
            as_json,
            {"credentials": count, "history": entries},
            f"restored {count} credentials and {entries} history entries "
            f"into {settings.store_path}",
        )


@app.command(name="forget-witnesses")
@reflowed
def forget_witnesses(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Forget the witness policy this wallet ran under, to trust the ledger's signature alone.

    Without it, a wallet that accepted checkpoints under a witness policy refuses to start
    with none (witness_policy_lost): a lost wallet.toml is not a choice to drop witnesses."""
    from wallet.settings import WalletSettings

    with reporting(as_json):
        settings = WalletSettings.load(data_dir)
        data, text = settings.forget_witnesses(settings.trust_file)
        emit(as_json, data, text)


@app.command(name="forget-checkpoint")
@reflowed
def forget_checkpoint(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Forget the ledger checkpoint this wallet trusted, to trust the ledger's next on first use.

    Without it, a wallet that trusted a checkpoint and lost the file that keeps it refuses to
    open (trust_file_lost): a lost file is not a first run, and would let a rolled-back or
    forked ledger pass. Restore the file from a backup if there is one."""
    from civicid.ledger_client import forget_checkpoint_command
    from wallet.settings import WalletSettings

    with reporting(as_json):
        settings = WalletSettings.load(data_dir)
        emit(as_json, *forget_checkpoint_command(settings.trust_file))


# -- credentials ----------------------------------------------------------------------------


def checked(credential: Credential, now: int) -> str:
    """How fresh the status shown is: read from the ledger when, or never."""
    if credential.checked_at is None:
        return "status never checked"
    return f"checked {words.ago(credential.checked_at, now)}"


def card_line(credential: Credential, now: int, unused: int) -> str:
    issuer = inert(credential.issuer_name or credential.issuer[:28])
    return (
        f"{credential.id}  {inert(credential.title):<24.24} {credential.status(now):<9} "
        f"{issuer:<28.28} {unused}/{len(credential.copies)} copies unused · "
        f"{checked(credential, now)}"
    )


@app.command(name="list")
def list_(data_dir: DataDir, as_json: AsJson = False) -> None:
    """The credentials held: id, type, status, issuer, copies not yet shown."""
    with reporting(as_json):
        with opened(data_dir) as wallet:
            now, shown = wallet.clock(), wallet.shown()
            held = wallet.credentials()
        summaries = [c.summary(now, shown) for c in held]
        emit(
            as_json,
            summaries,
            lambda: (
                "\n".join(
                    card_line(c, now, s["copies_unused"])
                    for c, s in zip(held, summaries, strict=True)
                )
                or "no credentials yet: `civicid wallet receive URI`"
            ),
        )


def leaves(claims: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[ClaimPath, Any]]:
    """Each claim, objects opened into their members (``address`` into its street, locality
    …), so every line is one thing a person can read and, maybe, withhold."""
    found: list[tuple[ClaimPath, Any]] = []
    for name, value in claims.items():
        path = (*prefix, name)
        if isinstance(value, dict) and value:
            found.extend(leaves(value, path))
        else:
            found.append((path, value))
    return found


def claim_label(credential: Credential, path: ClaimPath) -> str:
    return inert(words.claim(path, credential.labels))


def claim_lines(credential: Credential) -> list[str]:
    lines = []
    for path, value in leaves(credential.claims):
        mark = "can be withheld" if credential.is_disclosable(path) else "always shown"
        label = claim_label(credential, path)
        lines.append(f"  {fit(label, 24)} {fit(format_value(value), 32)} {mark}")
    return lines


def format_value(value: Any) -> str:
    """A claim value on one line in words, inert (it is whatever the issuer wrote)."""
    return inert(words.value(value))


def fit(text: str, width: int) -> str:
    """``text`` in a column of ``width``: cut with a visible "…" when longer, never silently,
    so what a desk will receive is never shown as less than it is."""
    return f"{text:<{width}}" if len(text) <= width else text[: width - 1] + "…"


@app.command()
def show(
    ident: Annotated[str, typer.Argument(metavar="ID", help="A credential id (or its start).")],
    data_dir: DataDir,
    as_json: AsJson = False,
) -> None:
    """Every claim of one credential, and which of them can be withheld."""
    with reporting(as_json):
        with opened(data_dir) as wallet:
            credential = wallet.credential(ident)
            now, shown = wallet.clock(), wallet.shown()
        data = {**credential.summary(now, shown), "claims": credential.claims}
        data["disclosable"] = [list(p) for p in credential.disclosable]
        emit(
            as_json,
            data,
            lambda: "\n".join(
                [
                    f"{inert(credential.title)}  [{credential.status(now)}, "
                    f"{checked(credential, now)}]",
                    f"  issuer   {inert(credential.issuer_name or '')} {inert(credential.issuer)}",
                    f"  issued   {words.day(credential.issued_at)}"
                    + (
                        f"   expires {words.day(credential.expires_at)}"
                        if credential.expires_at
                        else ""
                    ),
                    *what_now(credential.status(now)),
                    *claim_lines(credential),
                ]
            ),
        )


@app.command()
def remove(
    ident: Annotated[str, typer.Argument(metavar="ID", help="A credential id (or its start).")],
    data_dir: DataDir,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Delete a credential from the wallet (one revoked or expired); its history stays."""
    from wallet.holder.credentials import WHAT_NOW

    with reporting(as_json):
        can_ask(yes)
        with opened(data_dir) as wallet:
            credential = wallet.credential(ident)
            now = wallet.clock()
            summary = credential.summary(now, wallet.shown())
            status = credential.status(now)
            if not yes:
                typer.echo(f"{card_line(credential, now, summary['copies_unused'])}", err=True)
                if status not in WHAT_NOW:
                    typer.echo("desks still accept it; only a backup brings it back", err=True)
            try:
                agree(f"Remove your {inert(credential.title)} ({credential.id})?", yes)
            except Error as exc:
                raise WALLET_DECLINED("nothing was removed") from exc
            wallet.remove(credential.id)
        emit(
            as_json,
            {**summary, "removed": True},
            f"removed {credential.id}  {inert(credential.title)}; its history stays",
        )


def what_now(status: str) -> list[str]:
    """What a card no desk accepts means, and what to do, as the app's details say it."""
    from wallet.holder.credentials import WHAT_NOW

    said = WHAT_NOW.get(status)
    return [f"  {said}"] if said else []


@app.command()
def history(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Every presentation: when, to which desk, which claims, the desk's decision."""
    with reporting(as_json):
        with opened(data_dir) as wallet:
            entries = wallet.history()
            labels = {c.id: c.labels for c in wallet.credentials()}
        emit(
            as_json,
            [e.to_json() for e in entries],
            lambda: (
                "\n".join(history_line(e, labels.get(e.credential_id, {})) for e in entries)
                or "no presentations yet"
            ),
        )


def history_line(entry: Presentation, labels: dict[str, str]) -> str:
    from wallet.holder.presentation import refusal

    shared = ", ".join(words.claim(name, labels) for name in entry.disclosed) or "nothing"
    if entry.decision is not None:
        outcome = words.decision(entry.decision)
        why = refusal(entry.receipt_claims)
        outcome += f" ({why})" if why else ""
    else:
        outcome = f"no receipt ({entry.error or 'unknown'})"
    # The desk by the name governance endorsed, as the app's history shows it; else its DID.
    desk = entry.verifier_name or entry.verifier
    if len(desk) > DESK_CHARS:
        desk = desk[: DESK_CHARS - 1] + "…"
    return f"{words.moment(entry.at)}  {inert(desk)}  shared {inert(shared)}  → {inert(outcome)}"


@app.command()
def refresh(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Update every credential's status from the status lists on the ledger."""
    with reporting(as_json):
        with opened(data_dir) as wallet:
            report = wallet.refresh()
            now = wallet.clock()
        data = {
            "statuses": {c.id: c.status(now) for c in report.credentials},
            "changed": list(report.changed),
            "failures": report.failures,
        }
        emit(
            as_json,
            data,
            lambda: (
                "\n".join(
                    [
                        f"{c.id}  {inert(c.title):<24.24} {c.status(now):<9} {checked(c, now)}"
                        for c in report.credentials
                    ]
                    + [
                        # Read from the ledger, never the issuer: the reason names what failed.
                        f"could not read status list {inert(uri)} from the ledger: "
                        f"{inert(report.reasons.get(uri, ''))} [{inert(code)}]"
                        for uri, code in report.failures.items()
                    ]
                )
                or "no credentials to refresh"
            ),
        )
        if report.failures:  # what was read is kept; the rest is worth retrying
            raise typer.Exit(EXIT_UNAVAILABLE)


@app.command(name="import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="An SD-JWT VC, or JSON with credential and holder_key.")
    ],
    data_dir: DataDir,
    key: Annotated[
        Path | None, typer.Option("--key", help="The holder's private JWK, if not in FILE.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Hold a credential from a file, verified as a received one is."""
    with reporting(as_json):
        with opened(data_dir) as wallet:
            credential = wallet.import_file(file, key)
            summary = credential.summary(wallet.clock(), {})
        emit(
            as_json,
            summary,
            f"imported {credential.id}  {inert(credential.title)} from {inert(credential.issuer)}",
        )


# -- protocols ------------------------------------------------------------------------------


def review_text(review: OfferReview) -> str:
    lines = [f"{inert(review.issuer_name or 'An issuer')} ({inert(review.issuer_url)}) offers:"]
    for offered in review.offered:
        lines.append(
            f"  {inert(offered.type_name or offered.vct)}  — issuer {inert(review.issuer_did)} "
            f"is accredited for {inert(offered.vct)} on the ledger "
            f"({inert(offered.accreditation)})"
        )
    lines.append(f"  {review.copies} unlinkable copies, each with its own key")
    return "\n".join(lines)


def ask_tx_code(description: str | None) -> str:
    hint = inert(description or "sent to you separately")
    if not has_terminal():
        raise WALLET_TX_CODE_REQUIRED(
            f"this offer needs its transaction code ({hint}): pass --tx-code; the link still works"
        )
    try:
        code: str = typer.prompt(f"Transaction code ({hint})", hide_input=True, err=True)
    except typer.Abort as exc:
        raise WALLET_TX_CODE_REQUIRED(f"no transaction code given ({hint})") from exc
    return code


@app.command()
def receive(
    uri: Annotated[str, typer.Argument(help="An openid-credential-offer:// link.")],
    data_dir: DataDir,
    tx_code: Annotated[
        str | None, typer.Option("--tx-code", help="The transaction code sent to you separately.")
    ] = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Receive credentials offered by an accredited issuer (OpenID4VCI)."""
    from wallet.holder.issuance import offer_link

    with reporting(as_json):
        offer_link(uri)  # a link that is no offer is told before anything is asked
        can_ask(yes)
        with opened(data_dir) as wallet:
            review = wallet.review_offer(uri)
            if not as_json:
                typer.echo(review_text(review), err=True)
            agree("Accept this offer?", yes)
            if review.tx_code is not None and not tx_code:
                tx_code = ask_tx_code(review.tx_code.description)
            records = wallet.accept_offer(review, tx_code)
            now = wallet.clock()
            data = [c.summary(now, {}) for c in records]
        emit(
            as_json,
            data,
            lambda: "\n".join(f"received {card_line(c, now, len(c.copies))}" for c in records),
        )


def plan_text(plan: Plan) -> str:
    desk = inert(plan.verifier)
    if plan.verifier_name:  # as governance endorsed it on the ledger; the DID beside it
        desk = f"{inert(plan.verifier_name)} ({desk})"
    lines = [f"{desk} asks: {inert(plan.purpose)}"]
    for query in plan.queries:
        option = query.options[0]
        if option.accreditation:
            lines.append(
                f"  accredited on the ledger ({inert(option.accreditation)}): "
                f"{inert(option.accreditation_purpose)}"
            )
        else:
            lines.append(f"  NOT accredited to ask for this credential [{inert(option.refusal)}]")
        if option.refusal:
            lines.append("  it asks for claims the ledger does not allow it (NOT ALLOWED below)")
        lines.append(f"  from your {inert(option.credential.title)} ({option.credential.id}):")
        for claim in option.claims:
            mark = claim.requirement if claim.allowed else "NOT ALLOWED — will not be sent"
            label = claim_label(option.credential, claim.path)
            lines.append(f"    {fit(label, 24)} {fit(format_value(claim.value), 28)} {mark}")
        if option.always_shared:
            shared = (words.claim(n, option.credential.labels) for n in option.always_shared)
            lines.append(
                "  also visible to the desk (in clear on this card): " + inert(", ".join(shared))
            )
    return "\n".join(lines)


def outcome_text(outcome: Outcome, plan: Plan) -> str:
    from wallet.holder.presentation import refusal

    decision = words.decision(outcome.receipt.decision if outcome.receipt else None)
    cards = [o.credential for q in plan.queries for o in q.options]
    labels = next((c.labels for c in cards if c.id == outcome.entry.credential_id), {})
    sent = ", ".join(words.claim(name, labels) for name in outcome.entry.disclosed)
    why = refusal(outcome.receipt)
    return (
        f"sent {inert(sent) or 'nothing but the card type'}\n"
        f"decision: {inert(decision)} (the desk's signed receipt is kept in your history)"
        + (f"\nwhy: {inert(why)}" if why else "")
    )


@app.command()
def present(
    uri: Annotated[str, typer.Argument(help="An openid4vp:// request link.")],
    data_dir: DataDir,
    omit: Annotated[
        list[str] | None, typer.Option("--omit", help="Leave out this optional claim (repeatable).")
    ] = None,
    credential: Annotated[
        str | None, typer.Option("--credential", help="Answer with this credential (id).")
    ] = None,
    unsafe_send_unaccredited: Annotated[
        list[str] | None,
        typer.Option(
            "--unsafe-send-unaccredited",
            help="Send this claim although the ledger does not accredit the desk for it.",
        ),
    ] = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Show a desk what it asks for, once you agree (OpenID4VP)."""
    from wallet.holder.presentation import request_link

    with reporting(as_json):
        request_link(uri)  # a link that is no request is told before anything is asked
        can_ask(yes)
        with opened(data_dir) as wallet:
            plan = wallet.prepare(uri)
            if not as_json or not yes:  # what is agreed to is read before the question
                typer.echo(plan_text(plan), err=True)
            try:
                agree("Send this?", yes)
            except Error as exc:
                # Its page stops waiting for an answer.
                raise declined(wallet.decline(plan), "desk", "its page") from exc
            choose = {q.query.id: credential for q in plan.queries} if credential else None
            outcome = wallet.present(
                plan,
                omit=omit or (),
                choose=choose,
                unsafe_send_unaccredited=unsafe_send_unaccredited or (),
            )
        emit(as_json, outcome.entry.to_json(), outcome_text(outcome, plan))


@app.command()
def apply(
    issuer: Annotated[str, typer.Argument(help="The agency's issuer URL.")],
    rule: Annotated[str, typer.Argument(help="The name of its issuance rule on the ledger.")],
    data_dir: DataDir,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Ask an agency for what its rule on the ledger issues: at once if you qualify, else why."""
    with reporting(as_json):
        can_ask(yes)
        with opened(data_dir) as wallet:
            plan = wallet.prepare_apply(issuer, rule)
            if not as_json or not yes:  # what is agreed to is read before the question
                typer.echo(rule_plan_text(plan), err=True)
            try:
                agree("Send this?", yes)
            except Error as exc:
                # Its rule's desk stops waiting for an answer.
                told = wallet.decline(plan)
                raise declined(told, "agency", "its request", plan=plan.to_json()) from exc
            applied = wallet.send_apply(plan)
            now = wallet.clock()
        # The plan agreed to beside what came of it: the same facts the text form shows.
        emit(
            as_json,
            {"plan": plan.to_json(), **applied.to_json()},
            lambda: applied_text(applied, now),
        )
        if not applied.issued:
            raise typer.Exit(EXIT_REFUSED)


def rule_plan_text(plan: RulePlan) -> str:
    """What the agency's rule asks of which card, checked on the ledger: read before agreeing."""
    agency = f"{inert(plan.agency_name)} ({plan.request.did})" if plan.agency_name else ""
    version = plan.version
    shared = ", ".join(inert(name) for name in plan.asked)
    text = (
        f"agency {agency or plan.request.did}, by its rule {inert(version.name)} "
        f"v{version.version} (public on the ledger)\n"
        f"why: {inert(plan.request.purpose)}\n"
        f"would share, from {inert(plan.card.title)} ({plan.card.id}): {shared}"
    )
    if plan.unmet:
        text += f"\nyour card does not meet the rule ({inert(plan.unmet)}): the agency will say no"
    return text


def applied_text(applied: Applied, now: int) -> str:
    head = f"rule {inert(applied.rule)} v{applied.version}"
    if applied.issued:
        return "\n".join(
            f"issued by {head}: {card_line(c, now, len(c.copies))}" for c in applied.issued
        )
    why = " — ".join(inert(x) for x in (applied.condition, applied.reason) if x)
    return f"not issued by {head}: {why or 'no reason given'} [{inert(applied.code)}]"


@app.command(name="open")
def open_(
    uri: Annotated[str, typer.Argument(help="An offer or request link (the OS hands it here).")],
    data_dir: DataDir,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Handle an openid-credential-offer:// or openid4vp:// link: receive or present."""
    scheme = uri.strip().split(":", 1)[0].lower()
    if scheme == "openid-credential-offer":
        receive(uri=uri, data_dir=data_dir, tx_code=None, yes=yes, as_json=as_json)
    elif scheme == "openid4vp":
        present(
            uri=uri,
            data_dir=data_dir,
            omit=None,
            credential=None,
            unsafe_send_unaccredited=None,
            yes=yes,
            as_json=as_json,
        )
    else:
        with reporting(as_json):
            raise WALLET_URI_INVALID(
                f"{inert(scheme) or 'this'}: is neither an offer nor a request link"
            )
