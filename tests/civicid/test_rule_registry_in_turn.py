"""Each question of ``civicid.rule_registry`` (an issuer's rule, a list's redemptions, an
issuer's rule names) is asked once, whole, in a turn of the ledger's servers
(``in_turn``): the arguments passed on as given (a list's URI in its normal form), the
answer handed back as it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from civicid import rule_registry


class Reader:
    """A stand-in ledger client: it counts its turns and runs each read once."""

    def __init__(self) -> None:
        self.turns = 0

    def in_turn(self, read: Callable[[], Any]) -> Any:
        self.turns += 1
        return read()


def test_each_question_is_asked_whole_in_one_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    reader = Reader()
    for name in ("_issuance_rule", "_redemptions", "_rule_names"):
        monkeypatch.setattr(rule_registry, name, lambda *args, name=name: (name, *args))
    client: Any = reader
    assert rule_registry.issuance_rule(client, "did:a", "rule-1") == (
        "_issuance_rule", reader, "did:a", "rule-1")  # fmt: skip
    assert rule_registry.redemptions(client, "HTTPS://Issuer.Test:443/a/../lists/1") == (
        "_redemptions", reader, "https://issuer.test/lists/1")  # fmt: skip
    assert rule_registry.rule_names(client, "did:b") == ("_rule_names", reader, "did:b")
    assert reader.turns == 3
