"""``civicid up`` over a witness whose data dir was lost whole, key included: the ledger's
witness policy (written at the last start) names its key, and a witness made again in its
place would cosign from nothing, a fork too. Refused (``up_witness_lost``, with what to do),
nothing made; a first ``up`` (no policy yet) makes the witnesses, and so does one after the
operator removes the policy to replace the lost witness."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from cli import stack
from ledger.witness.setup import initialize, load_key, log_setting


def listing(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def set_up(root: Path) -> tuple[SimpleNamespace, list[Path], Path]:
    signer = NoteSigner.generate("example.org/ledger")
    ledger = SimpleNamespace(vkey=signer.vkey(), origin=signer.name)
    homes = stack.ensure_witnesses(root, ledger)  # type: ignore[arg-type]
    up = [
        stack.WitnessUp(name, load_key(home).vkey(), f"http://127.0.0.1:{9000 + i}")
        for i, (name, home) in enumerate(zip(stack.WITNESS_NAMES, homes, strict=True))
    ]
    return ledger, homes, stack.write_witness_policy(root, up)


def refused(root: Path, ledger: SimpleNamespace) -> Error:
    before = listing(root)
    with pytest.raises(Error) as caught:
        stack.ensure_witnesses(root, ledger)  # type: ignore[arg-type]
    assert stack.UP_WITNESS_LOST.matches(caught.value), caught.value
    assert listing(root) == before
    return caught.value


def test_a_witness_lost_whole_is_refused_not_made_again(tmp_path: Path) -> None:
    ledger, homes, policy = set_up(tmp_path)
    shutil.rmtree(homes[1])
    error = refused(tmp_path, ledger)
    assert (
        "names witness w2" in error.message and f"{homes[1]} holds no witness key" in error.message
    )
    assert f"restore {homes[1]} from a backup" in error.message
    assert f"remove {policy}" in error.message
    assert not homes[1].exists()


def test_a_witness_made_again_by_hand_under_another_key_is_refused(tmp_path: Path) -> None:
    ledger, homes, _ = set_up(tmp_path)
    shutil.rmtree(homes[0])
    initialize(homes[0], "witness-1.civicid.example", [log_setting(ledger.vkey)])
    assert "holds another witness key" in refused(tmp_path, ledger).message


def test_the_policy_removed_makes_a_new_witness_in_its_place(tmp_path: Path) -> None:
    ledger, homes, policy = set_up(tmp_path)
    kept = load_key(homes[0]).vkey()
    lost = load_key(homes[2]).vkey()
    shutil.rmtree(homes[2])
    policy.unlink()
    assert stack.ensure_witnesses(tmp_path, ledger) == homes  # type: ignore[arg-type]
    assert load_key(homes[0]).vkey() == kept
    assert load_key(homes[2]).vkey() != lost


def test_every_witness_found_starts(tmp_path: Path) -> None:
    ledger, homes, _ = set_up(tmp_path)
    keys = [load_key(home).vkey() for home in homes]
    assert stack.ensure_witnesses(tmp_path, ledger) == homes  # type: ignore[arg-type]
    assert [load_key(home).vkey() for home in homes] == keys


@pytest.mark.parametrize("damage", ["a flipped byte", "cut short", "not UTF-8"])
def test_a_damaged_policy_is_refused_naming_it(tmp_path: Path, damage: str) -> None:
    # It was one line with no file named ("line 3: vkey key id does not match its name and
    # key"): the operator could not tell which of the data dir's files said so.
    ledger, _, policy = set_up(tmp_path)
    text = bytearray(policy.read_bytes())
    if damage == "a flipped byte":
        at = text.index(b"witness w2 ") + len(b"witness w2 witness-2.civicid.example+") + 12
        text[at] ^= 0x01
    elif damage == "cut short":
        del text[len(text) // 2 :]
    else:
        text[-5:-4] = b"\xff"
    policy.write_bytes(bytes(text))
    before = listing(tmp_path)
    with pytest.raises(Error) as caught:
        stack.ensure_witnesses(tmp_path, ledger)  # type: ignore[arg-type]
    assert caught.value.code == "up_witness_policy_invalid"
    assert caught.value.message.startswith(f"the ledger's witness policy {policy} is damaged (")
    assert f"remove it to have it written again from the witnesses in {tmp_path}" in (
        caught.value.message
    )
    assert listing(tmp_path) == before


def test_a_damaged_policy_removed_is_written_again_naming_the_same_witnesses(
    tmp_path: Path,
) -> None:
    ledger, homes, policy = set_up(tmp_path)
    keys = [load_key(home).vkey() for home in homes]
    policy.write_bytes(policy.read_bytes()[:40])
    policy.unlink()  # as the refusal says
    assert stack.ensure_witnesses(tmp_path, ledger) == homes  # type: ignore[arg-type]
    assert [load_key(home).vkey() for home in homes] == keys


@pytest.mark.parametrize("damage", ["a directory", "a link leading nowhere", "too large"])
def test_a_policy_that_cannot_be_read_is_refused_as_damaged_not_taken_as_none(
    tmp_path: Path, damage: str
) -> None:
    # A link leading nowhere was read as no policy (a first start: a lost witness made again
    # unsaid), a directory as a lost witness, and one too large named no way out.
    ledger, homes, policy = set_up(tmp_path)
    shutil.rmtree(homes[1])  # lost: the policy is what tells
    policy.unlink()
    if damage == "a directory":
        policy.mkdir()
    elif damage == "a link leading nowhere":
        policy.symlink_to(tmp_path / "elsewhere" / "witnesses.policy")
    else:
        policy.write_bytes(b"#" * (1 << 20))
    before = listing(tmp_path)
    with pytest.raises(Error) as caught:
        stack.ensure_witnesses(tmp_path, ledger)  # type: ignore[arg-type]
    assert caught.value.code == "up_witness_policy_invalid", caught.value
    assert caught.value.message.startswith("the ledger's witness policy ")
    assert str(policy) in caught.value.message
    assert f"remove it to have it written again from the witnesses in {tmp_path}" in (
        caught.value.message
    )
    assert listing(tmp_path) == before and not homes[1].exists()
