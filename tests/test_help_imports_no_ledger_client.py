"""``civicid wallet --help`` and ``civicid verifier --help`` import no ledger client (nor the
part's service, settings or holder that use it: half a second of a fresh process): each
command imports what it uses when it runs."""

from __future__ import annotations

import pytest

from tests.test_cli_lazy import imported_by

# What a part's help needs none of: the ledger client, and the modules that import it.
NOT_FOR_HELP = (
    "civicid.ledger_client",
    "civicid.trust",
    "wallet.settings",
    "wallet.holder.wallet",
    "verifier.settings",
    "verifier.service",
)


@pytest.mark.parametrize(("part", "command"), [("wallet", "receive"), ("verifier", "check")])
def test_a_parts_help_imports_no_ledger_client(part: str, command: str) -> None:
    found, printed = imported_by(part, "--help", modules=NOT_FOR_HELP)
    assert found == set(), found
    assert command in printed and "forget-checkpoint" in printed, printed
