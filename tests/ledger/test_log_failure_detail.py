"""A failure inside the ledger's commit (a rule's bug, a write that raised) answers the
submitter, and every later one, with a fixed message and its code: an exception's text can
carry paths or data. The detail goes to the server's log."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from civicid.errors import Error
from ledger import ruleset
from tests.ledger.conftest import World

SECRET = "/srv/ledger/private/holder-4711.json"


def leaked(message: str) -> bool:
    return SECRET in message or "holder-4711" in message


def test_a_rules_bug_is_told_without_its_detail(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError(f"cannot read {SECRET}")

    monkeypatch.setattr(ruleset, "check", broken)
    with caplog.at_level(logging.ERROR, logger="civicid.ledger"), pytest.raises(Error) as info:
        world.register()
    assert info.value.code == "internal_error"
    assert not leaked(info.value.message) and not leaked(str(info.value.to_json()))
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)
    monkeypatch.undo()
    world.register()  # the entry was refused, not the ledger


def test_a_failed_commit_is_told_without_its_detail(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: Any) -> None:
        raise OSError(5, "Input/output error", SECRET)

    monkeypatch.setattr(world.ledger.store, "append", broken)
    with caplog.at_level(logging.ERROR, logger="civicid.ledger"), pytest.raises(OSError):
        world.register()  # the submitter that ran the commit sees it raised
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)
    monkeypatch.undo()
    with pytest.raises(Error) as info:  # every later submitter: the ledger stopped
        world.register()
    assert info.value.code == "store_failed"
    assert not leaked(info.value.message) and not leaked(str(info.value.to_json()))
