"""``civicid up`` over a ledger whose checkpoint key file was damaged: its ``vkey`` is a copy
of what its seed makes, and a damaged copy was refused later naming no file ("vkey key id does
not match its name and key [vkey_malformed]"); now the key file is named. A kept one is used
as its seed makes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicid.errors import Error
from cli import stack
from ledger.setup import CHECKPOINT_KEY, Paths


@pytest.mark.parametrize("damage", ["another key id", "another key", "not a vkey"])
def test_a_damaged_vkey_copy_names_the_key_file(tmp_path: Path, damage: str) -> None:
    made = stack.ensure_ledger(tmp_path)
    path = Paths(tmp_path).keys.directory / f"{CHECKPOINT_KEY}.json"
    data = json.loads(path.read_text())
    name, key_id, key = data["vkey"].split("+", 2)
    data["vkey"] = {
        "another key id": f"{name}+{'0' * 8}+{key}",
        "another key": f"{name}+{key_id}+{key[:-2]}{'AA' if key[-2:] != 'AA' else 'BA'}",
        "not a vkey": "x",
    }[damage]
    path.write_text(json.dumps(data))
    with pytest.raises(Error) as caught:
        stack.ensure_ledger(tmp_path)
    assert caught.value.code == "key_file_invalid"
    assert caught.value.message.startswith(f"key file {path}: its vkey is not its seed's key")
    data["vkey"] = made.vkey
    path.write_text(json.dumps(data))
    again = stack.ensure_ledger(tmp_path)
    assert (again.origin, again.vkey, again.created) == (made.origin, made.vkey, False)
