"""``civicid up``'s witnesses with their settings file damaged: lost, it is written again as
``up`` made it (the witness's key and state kept, so it still cosigns as the same witness);
emptied or edited so that it follows no log of this ledger, refused
(``up_witness_not_following``), not a witness that silently cosigns nothing while the other
two keep the quorum met."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from cli import stack
from ledger.witness.settings import WitnessSettings
from ledger.witness.setup import load_key, log_setting


def test_a_lost_witness_settings_file_is_written_again(tmp_path: Path) -> None:
    signer = NoteSigner.generate("example.org/ledger")
    ledger = SimpleNamespace(vkey=signer.vkey(), origin=signer.name)
    homes = stack.ensure_witnesses(tmp_path, ledger)  # type: ignore[arg-type]
    key = load_key(homes[0]).vkey()
    WitnessSettings.file_in(homes[0]).unlink()
    assert stack.ensure_witnesses(tmp_path, ledger) == homes  # type: ignore[arg-type]
    assert load_key(homes[0]).vkey() == key
    assert WitnessSettings.load(homes[0]).logs == [log_setting(signer.vkey())]


@pytest.mark.parametrize("content", [b"", b"logs = []\n"])
def test_a_witness_following_no_log_of_this_ledger_is_refused(
    tmp_path: Path, content: bytes
) -> None:
    signer = NoteSigner.generate("example.org/ledger")
    ledger = SimpleNamespace(vkey=signer.vkey(), origin=signer.name)
    homes = stack.ensure_witnesses(tmp_path, ledger)  # type: ignore[arg-type]
    path = WitnessSettings.file_in(homes[1])
    path.write_bytes(content)
    with pytest.raises(Error) as caught:
        stack.ensure_witnesses(tmp_path, ledger)  # type: ignore[arg-type]
    assert caught.value.code == "up_witness_not_following"
    assert str(path) in caught.value.message
    assert path.read_bytes() == content
