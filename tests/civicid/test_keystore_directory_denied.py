"""A key store this user may not list (a restore or a ``chmod`` that left ``keys/`` to
another user): listing its identities (``civicid ledger identities``) is refused, naming it
(``key_unreadable``), as one key file that cannot be read is. Before, ``Path.glob`` passed the
error over and the data dir was said to hold no identity at all.

Tests run as root, whom no mode bars: the directory is made unreadable by refusing, as the
kernel refuses a user without the right, every listing of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.identity import Identity
from civicid.keystore import KeyStore
from tests import odd_files


def test_a_key_store_that_cannot_be_listed_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = KeyStore(tmp_path / "keys")
    who = Identity.create()
    keys.put("agency", who.to_json())
    assert keys.identities() == [("agency", str(who.did), None)]

    odd_files.deny_listing(monkeypatch, keys.directory)
    with pytest.raises(Error) as caught:
        keys.identities()
    assert caught.value.code == "key_unreadable"
    assert str(keys.directory) in caught.value.message
