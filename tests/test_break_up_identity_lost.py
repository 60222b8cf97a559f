"""``civicid up`` on a data dir set up before, with an identity's key file lost: refused
(``up_identity_missing``, naming the file), never a new identity registered in its place (a
new DID, under which nothing issued or decided before could be revoked or checked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.identity import Identity
from civicid.keystore import KeyStore
from cli import stack


def test_a_lost_key_of_a_set_up_part_is_refused_before_anything_is_asked(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    (tmp_path / "issuer.toml").write_text('identity = "agency"\n')
    with pytest.raises(Error) as caught:
        # No ledger, no client: the refusal comes before either would be used.
        stack.ensure_identity(None, None, keys, stack.AGENCY, "agency",  # type: ignore[arg-type]
                              set_up_by=tmp_path / "issuer.toml")  # fmt: skip
    assert caught.value.code == "up_identity_missing"
    assert str(keys.directory / "agency") in caught.value.message
    assert not keys.exists(stack.AGENCY)


def test_a_kept_key_is_used_and_a_first_run_may_make_one(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    stack.check_not_lost(keys, stack.DESK, tmp_path / "verifier.toml")  # not set up yet: fine
    made = Identity.create()
    keys.put(stack.DESK, made.to_json())
    (tmp_path / "verifier.toml").write_text("")
    stack.check_not_lost(keys, stack.DESK, tmp_path / "verifier.toml")
    found, seq = stack.ensure_identity(None, None, keys, stack.DESK, "service-desk",  # type: ignore[arg-type]
                                       set_up_by=tmp_path / "verifier.toml")  # fmt: skip
    assert found.did == made.did and seq is None


@pytest.mark.parametrize(
    ("lost", "code"),
    [("ledger-checkpoint", "ledger_key_missing"), ("governance", "up_identity_missing")],
)
def test_a_lost_ledger_key_is_refused_naming_it(tmp_path: Path, lost: str, code: str) -> None:
    """Before, either was ``key_not_found`` ("no key 'governance' in …/keys"), saying neither
    that the file was lost nor what to do; ``ledger serve`` says ``ledger_key_missing``."""
    made = stack.ensure_ledger(tmp_path)
    assert made.created
    keys = KeyStore(tmp_path / "keys")
    (keys.directory / f"{lost}.json").unlink()
    with pytest.raises(Error) as caught:
        stack.ensure_ledger(tmp_path)
    assert caught.value.code == code
    assert f"{keys.directory / lost}.json is missing" in caught.value.message
    assert "restore the key file from a backup" in caught.value.message
    assert not keys.exists(lost)
