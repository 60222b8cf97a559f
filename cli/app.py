"""The ``civicid`` command: one group per part, plus ``demo`` and ``up``.

This module is the composition root: the only place in ``civicid`` that imports the parts
(import-linter allows exactly this), so each part stays independent of the others. It is
imported by ``cli.main``, the entry point, once the terminal is ready for it.
"""

from __future__ import annotations

import importlib.metadata
from typing import Annotated

import typer

from cli.demo import demo
from cli.federate import federate_app
from cli.up import up
from issuer.cli import app as issuer_app
from ledger.cli import app as ledger_app
from ledger.witness.cli import app as witness_app
from verifier.cli import app as verifier_app
from verifier.service import checkpoint_key
from verifier.settings import VerifierSettings
from wallet.cli import app as wallet_app
from wallet.settings import WalletSettings

app = typer.Typer(
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


app.add_typer(ledger_app, name="ledger")
app.add_typer(issuer_app, name="issuer")
app.add_typer(wallet_app, name="wallet")
app.add_typer(verifier_app, name="verifier")
app.add_typer(witness_app, name="witness")
verifier_app.add_typer(
    federate_app(
        "verifier",
        lambda data_dir: VerifierSettings.load(data_dir).federation_path,
        lambda data_dir: checkpoint_key(VerifierSettings.load(data_dir)),
    ),
    name="federate",
)
wallet_app.add_typer(
    federate_app(
        "wallet",
        lambda data_dir: WalletSettings.load(data_dir).federation_path,
        lambda data_dir: WalletSettings.load(data_dir).key_or_none(),
    ),
    name="federate",
)
app.command()(demo)
app.command()(up)
