"""``civicid up --federation`` over Varn's ledger (the second ledger, abroad) with a key file
lost: it was found by its checkpoint key alone, so a lost checkpoint key read as no ledger
there, and its genesis was tried over the old one (``ledger_exists``, "choose an empty data
dir"); a lost governance key was ``key_not_found``. Now Varn's ledger is found as up's own is:
the lost file named, with the way back, and nothing made anew."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.keystore import KeyStore
from cli import stack
from cli.demo_federation import ABROAD_ORIGIN, start_abroad


def test_varn_s_ledger_is_made_under_its_own_name_and_found_again(tmp_path: Path) -> None:
    made = stack.ensure_ledger(tmp_path, origin=ABROAD_ORIGIN)
    assert made.created and made.origin == ABROAD_ORIGIN
    again = stack.ensure_ledger(tmp_path, origin=ABROAD_ORIGIN)
    assert (again.origin, again.vkey, again.created) == (made.origin, made.vkey, False)


@pytest.mark.parametrize(
    ("lost", "code"),
    [("ledger-checkpoint", "ledger_key_missing"), ("governance", "up_identity_missing")],
)
def test_a_lost_key_of_varn_s_ledger_is_named(tmp_path: Path, lost: str, code: str) -> None:
    stack.ensure_ledger(tmp_path, origin=ABROAD_ORIGIN)
    keys = KeyStore(tmp_path / "keys")
    (keys.directory / f"{lost}.json").unlink()
    with ExitStack() as services, pytest.raises(Error) as caught:
        # Refused before anything is served or asked of the home ledger.
        start_abroad(services, tmp_path, ledger=None, ledger_url="", policy=tmp_path)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert f"{keys.directory / lost}.json is missing" in caught.value.message
    assert not keys.exists(lost)
