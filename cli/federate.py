"""``civicid verifier federate …`` and ``civicid wallet federate …``: pin another CivicID
ledger by its trust policy, list the pins, remove one, forget the checkpoint trusted from one.
A desk accepts from a pinned ledger the types (and issuers) its pin names; a wallet checks its
foreign credentials there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from civicid.checkpoint_policy import DEFAULT_MAX_AGE, MAX_PINNED_AGE, CheckpointPolicy
from civicid.console import AsJson, DataDir, emit, inert, reflowed, reporting
from civicid.errors import Error, NotFound
from civicid.words import counted

# The ledger client and the trust package (with httpx and pydid, about half a second) are
# imported by the commands that use them, not to build the group: a part's --help shows it.
if TYPE_CHECKING:
    from civicid.ledger_client import LedgerClient
    from civicid.trust.pins import PinnedLedger

Where = Callable[[Path], Path]  # a data dir → the part's federation directory
# A data dir → the checkpoint key of the part's own (home) ledger: None (or NotFound) when
# none is known there yet.
HomeKey = Callable[[Path], str | None]


def federate_app(part: str, where: Where, home_key: HomeKey) -> typer.Typer:
    """The ``federate`` group of ``part`` (``verifier`` or ``wallet``)."""
    app = typer.Typer(
        help="Trust another CivicID ledger by a pinned trust policy (docs/federation.md).",
        no_args_is_help=True,
    )

    @app.command()
    @reflowed
    def add(
        name: Annotated[str, typer.Argument(help="A short name for the ledger (a-z, 0-9, -).")],
        policy: Annotated[
            Path,
            typer.Option(help="Its C2SP tlog-policy: one log line (its key), witnesses, quorum."),
        ],
        governance: Annotated[str, typer.Option(help="The governance DID its genesis names.")],
        data_dir: DataDir,
        url: Annotated[
            str | None,
            typer.Option(
                help="Its URL, or a ledger and mirrors separated by commas.",
                show_default="the policy's log URL",
            ),
        ] = None,
        type_: Annotated[
            list[str] | None,
            typer.Option("--type", help="A credential type accepted from it (repeat)."),
        ] = None,
        issuer: Annotated[
            list[str] | None,
            typer.Option(
                help="Accept only this issuer DID (repeat).",
                show_default="any accredited there",
            ),
        ] = None,
        max_age: Annotated[
            int,
            typer.Option(
                help=f"Seconds its newest witness quorum may be old (1-{MAX_PINNED_AGE})."
            ),
        ] = DEFAULT_MAX_AGE,
        offline: Annotated[
            bool, typer.Option("--offline", help="Do not ask the ledger now (pin as given).")
        ] = False,
        as_json: AsJson = False,
    ) -> None:
        """Pin a foreign ledger: its policy file is validated, then (unless --offline) its
        latest checkpoint is accepted under that policy and its genesis must name the given
        governance. Pinning a name again replaces it."""
        from civicid.did import DID
        from civicid.trust.pins import PinnedLedger, Pins, read_policy

        with reporting(as_json):
            text = read_policy(policy)
            urls = url or _log_url(text)
            pinned = PinnedLedger(
                name=name,
                urls=urls,
                policy_text=text,
                governance=DID(governance),
                types=tuple(type_ or ()),
                issuers=None if not issuer else tuple(DID(d) for d in issuer),
                max_age=max_age,
            )
            _not_home(part, pinned, _key_or_none(home_key, data_dir))
            pins = Pins(where(data_dir))
            before = next((p for p in pins.load() if p.name == name), None)
            trust_file = pins.trust_file(name)
            if before is not None and before.vkey == pinned.vkey:
                # The same ledger: its checkpoint now must extend the one kept (C2SP
                # tlog-checkpoint: consistency), which it then replaces.
                checked = None if offline else _check(pinned, trust_file)[0]
                pins.add(pinned)
            else:  # another ledger: accepted afresh (refused while a client of the old runs)
                accepted = None if offline else _check(pinned)  # nothing kept until it passes
                with pins.forgetting(name):
                    pins.add(pinned)
                    pins.forget_checkpoint(name)
                # Kept once the old one is forgotten (its lock let go: a client shares it),
                # so the pin's first use checks the next one against it.
                if accepted is not None:
                    _keep(pinned, trust_file, accepted[1])
                checked = None if accepted is None else accepted[0]
            data = {**pinned.to_json(), "checkpoint_size": checked}
            emit(as_json, data, lambda: _summary(part, pinned, checked))

    @app.command(name="list")
    def list_(data_dir: DataDir, as_json: AsJson = False) -> None:
        """The pinned foreign ledgers, each validated as it is loaded."""
        from civicid.trust.pins import Pins

        with reporting(as_json):
            pins = Pins(where(data_dir)).load()
            data = [p.to_json() for p in pins]
            emit(as_json, data, lambda: "\n".join(_line(p) for p in pins) or "no foreign ledger")

    @app.command()
    def remove(
        name: Annotated[str, typer.Argument(help="The pinned ledger's name.")],
        data_dir: DataDir,
        as_json: AsJson = False,
    ) -> None:
        """Stop trusting a pinned ledger."""
        from civicid.trust.pins import Pins

        with reporting(as_json):
            pins = Pins(where(data_dir))
            pins.remove(name)  # with its trust file and kept witness policy
            emit(as_json, {"removed": name}, f"removed {name}")

    @app.command(name="forget-checkpoint")
    @reflowed
    def forget_checkpoint(
        name: Annotated[str, typer.Argument(help="The pinned ledger's name.")],
        data_dir: DataDir,
        as_json: AsJson = False,
    ) -> None:
        """Forget the checkpoint trusted from a pinned ledger, to trust its next on first use.

        Without it, a pinned ledger's client that trusted a checkpoint and lost the file that
        keeps it (<name>.checkpoint) refuses to start (trust_file_lost): a lost file is not a
        first run, and would let that ledger, rolled back or forked, pass. Restore the file
        from a backup if there is one. The pin stays as it is."""
        from civicid.ledger_client import forget_checkpoint_command
        from civicid.trust.pins import Pins

        with reporting(as_json):
            pins = Pins(where(data_dir))
            pins.pinned(name)
            emit(as_json, *forget_checkpoint_command(pins.trust_file(name)))

    return app


def _log_url(text: str) -> str:
    """The URL on the policy's log line, when it gives one (a bad policy: refused later)."""
    from civicid.trust.pins import FEDERATION_INVALID

    try:
        logs = CheckpointPolicy.parse(text).witnesses.logs
    except Error:
        logs = ()
    if len(logs) == 1 and logs[0].url:
        return logs[0].url
    raise FEDERATION_INVALID("give the ledger's --url (the policy's log line names none)")


def _key_or_none(home_key: HomeKey, data_dir: Path) -> str | None:
    try:
        return home_key(data_dir)
    except NotFound:  # no home ledger known here yet: nothing to confuse a pin with
        return None


def _not_home(part: str, pinned: PinnedLedger, home: str | None) -> None:
    """The home ledger is never pinned as a foreign one: every load would refuse that pin
    (``civicid.trust.federation.check_pins``), leaving the part unable to check anything."""
    from civicid.trust.pins import FEDERATION_INVALID

    if home is not None and pinned.vkey == home:
        raise FEDERATION_INVALID(
            f"ledger {pinned.name} is this {part}'s home ledger (the same checkpoint key): "
            "pin only other ledgers"
        )


def _client(pinned: PinnedLedger, trust_file: Path | None) -> LedgerClient:
    """A client of the pinned ledger as the parts open one (``civicid.trust.federation``):
    with a trust file, its checkpoint kept there and a lost one refused."""
    from civicid.ledger_client import LedgerClient

    return LedgerClient(
        pinned.urls,
        pinned.vkey,
        policy=pinned.policy,
        trust_file=trust_file,
        remember=trust_file is not None,
    )


def _check(pinned: PinnedLedger, trust_file: Path | None = None) -> tuple[int, str]:
    """Accept the ledger's latest checkpoint under the pinned policy (and, with
    ``trust_file``, as an extension of the one kept there, which it replaces); its genesis
    must name the pinned key and governance. The tree size accepted and the signed note."""
    from civicid.trust import Trust
    from civicid.trust.federation import check_governance

    with _client(pinned, trust_file) as client:
        checkpoint = Trust(client).checkpoint()  # accepted as every client accepts one
        check_governance(pinned, client)
        note = client.trusted_note
    assert note is not None  # a checkpoint was just accepted
    return checkpoint.size, note


def _keep(pinned: PinnedLedger, trust_file: Path, note: str) -> None:
    """Keep ``note`` (accepted by ``_check``) as the pin's trusted checkpoint, as its client
    would have: the pin's first use then refuses a ledger rolled back or forked from it."""
    with _client(pinned, trust_file) as client:
        client.accept_checkpoint(note)


def _line(pin: PinnedLedger) -> str:
    """A pin as shown; its types and its policy's origin may come from the foreign ledger's
    operator, so each is shown inert."""
    issuers = (
        "any accredited issuer"
        if pin.issuers is None
        else counted(len(pin.issuers), "issuer", "issuers")
    )
    types = ", ".join(inert(vct) for vct in pin.types) or "no type"
    return f"{pin.name}  {inert(pin.urls)}  {inert(pin.origin)}\n  accepts {types} from {issuers}"


def _summary(part: str, pin: PinnedLedger, size: int | None) -> str:
    checked = (
        f"checkpoint {size} accepted under its policy; genesis names its governance"
        if size is not None
        else "not asked (--offline)"
    )
    return f"{part}: pinned {_line(pin)}\n  {checked}"


__all__ = ["federate_app"]
