"""The ``civicid`` command: one group per part, plus ``demo`` and ``up``.

This module is the composition root: the only place in ``civicid`` that imports the parts
(import-linter allows exactly this), so each part stays independent of the others. It is
imported by ``cli.main``, the entry point, once the terminal is ready for it.

A part is imported only when its command is called or its own help is asked for: importing
every part takes seconds of CPU (docs/performance/README.md), and ``civicid --version``,
``civicid --help`` or ``civicid wallet list`` need one part or none. ``civicid --help``
lists each part by the first paragraph of its help, kept here (a test holds it to the
part's own).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
import typer.main
from typer import _click as click  # Typer's own click, whose classes its groups are
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo

import civicid.console  # noqa: F401 - its flags show no type in help, the root's too

if TYPE_CHECKING:
    from pathlib import Path

    from cli.federate import HomeKey, Where

# ``ctx.meta`` key set while the root lists its commands (help, completion of their names):
# then each part not yet imported is shown by its summary, and stays unimported.
LISTING: Final = "cli.app.listing"


@dataclass(frozen=True, slots=True)
class Part:
    """A command of the root: what ``civicid --help`` says of it, and how to import it."""

    summary: str  # the first paragraph of its help, as the root's help lists it
    load: Callable[[], typer.Typer | Callable[..., Any]]


@cache
def _demo() -> Callable[..., Any]:
    from cli.demo import demo

    return demo


@cache
def _up() -> Callable[..., Any]:
    from cli.up import up

    return up


@cache
def _ledger() -> typer.Typer:
    from ledger.cli import app

    return app


@cache
def _issuer() -> typer.Typer:
    from issuer.cli import app

    return app


# A part's settings (and the ledger client they import) are imported when a federate command
# runs, never for a part's help.
def _wallet_settings(data_dir: Path) -> Any:
    from wallet.settings import WalletSettings

    return WalletSettings.load(data_dir)


def _verifier_settings(data_dir: Path) -> Any:
    from verifier.settings import VerifierSettings

    return VerifierSettings.load(data_dir)


def _verifier_key(data_dir: Path) -> str:
    from verifier.service import checkpoint_key

    return checkpoint_key(_verifier_settings(data_dir))


@cache
def _wallet() -> typer.Typer:
    from wallet.cli import app

    return federating(
        app,
        "wallet",
        lambda data_dir: _wallet_settings(data_dir).federation_path,
        lambda data_dir: _wallet_settings(data_dir).key_or_none(),
    )


@cache
def _verifier() -> typer.Typer:
    from verifier.cli import app

    return federating(
        app,
        "verifier",
        lambda data_dir: _verifier_settings(data_dir).federation_path,
        _verifier_key,
    )


def federating(app: typer.Typer, part: str, where: Where, home_key: HomeKey) -> typer.Typer:
    """``app`` with its ``federate`` group (``cli.federate.federate_app``)."""
    from cli.federate import federate_app

    app.add_typer(federate_app(part, where, home_key), name="federate")
    return app


@cache
def _witness() -> typer.Typer:
    from ledger.witness.cli import app

    return app


# In the order ``civicid --help`` lists them.
PARTS: Final = {
    "demo": Part(
        "Run the whole flow on loopback: ledger, issuance, presentation, revocation, audit.",
        _demo,
    ),
    "up": Part(
        "Run 3 witnesses, ledger, issuer, desk and a rule's issuer on loopback until Ctrl-C.",
        _up,
    ),
    "ledger": Part(
        "The public ledger: genesis, serve, audit, DIDs, proofs, accreditations, types, lists.",
        _ledger,
    ),
    "issuer": Part(
        "The agency's issuer: OpenID4VCI for wallets, a staff API, status lists on the ledger.",
        _issuer,
    ),
    "wallet": Part(
        "The citizen's wallet: receive, hold and present credentials (no command: the app).",
        _wallet,
    ),
    "verifier": Part(
        "The service desk: eligibility policies, OpenID4VP requests, checks, receipts.",
        _verifier,
    ),
    "witness": Part(
        "A witness: cosigns a log's checkpoints only while the log only grows.", _witness
    ),
}


class Unloaded(TyperCommand):
    """A part not imported yet, as the root's help and completion list it (never run)."""

    def __init__(self, name: str, part: Part) -> None:
        super().__init__(name, help=part.summary)
        self.part = part


class Parts(TyperGroup):
    """The root group: each part's click command built from its module when first asked for
    (``get_command``), the unloaded ones listed by their summaries meanwhile."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands.update({name: Unloaded(name, part) for name, part in PARTS.items()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if isinstance(command, Unloaded) and not ctx.meta.get(LISTING):
            command = self.commands[cmd_name] = loaded(cmd_name, command.part)
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with listing(ctx):
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        with listing(ctx):  # a deeper word is completed by the part's own group, imported
            return super().shell_complete(ctx, incomplete)


@contextmanager
def listing(ctx: click.Context) -> Iterator[None]:
    """``ctx`` marked as listing the root's commands while in the block."""
    ctx.meta[LISTING] = True
    try:
        yield
    finally:
        ctx.meta.pop(LISTING, None)


def loaded(name: str, part: Part) -> click.Command:
    """The part's click command, built as ``add_typer``/``command`` on the root builds it."""
    found = part.load()
    if isinstance(found, typer.Typer):
        return typer.main.get_group_from_info(
            TyperInfo(found, name=name),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands,
        )
    return typer.main.get_command_from_info(
        CommandInfo(name=name, callback=found),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


app = typer.Typer(
    cls=Parts,
    help="CivicID: credentials for public services, anchored on an auditable public ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion, --show-completion (bash, zsh, fish, PowerShell)
)


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"civicid {importlib.metadata.version('civicid')}")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """CivicID: credentials for public services, anchored on an auditable public ledger."""
