"""A data dir made before ``witness_policy`` was written relative to it names the policy by
an absolute path where it was made: moved or copied, a standalone ``serve`` of it failed with
"cannot read …" and nothing about why or what to do. The refusal now says the dir was moved,
and which relative setting names the policy it carries (up's, at ../stack/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from issuer.settings import IssuerSettings
from verifier.settings import VerifierSettings

POLICY = "witnesses.policy"


@pytest.mark.parametrize(
    ("settings", "part"), [(VerifierSettings, "verifier"), (IssuerSettings, "issuer")]
)
def test_an_absolute_policy_path_of_a_moved_dir_names_the_fix(
    tmp_path: Path, settings: type[VerifierSettings] | type[IssuerSettings], part: str
) -> None:
    made_at = tmp_path / "before" / "civicid"
    moved = tmp_path / "after" / "civicid"
    (moved / "stack").mkdir(parents=True)
    (moved / "stack" / POLICY).write_text("not read: the setting is refused first\n")
    data_dir = moved / part
    data_dir.mkdir()
    named = made_at / "stack" / POLICY
    found = settings.model_construct(data_dir=data_dir, witness_policy=named)
    with pytest.raises(Error) as caught:
        found.checkpoint_policy()
    assert caught.value.code == "trust_policy_invalid"
    message = caught.value.message
    assert str(named) in message and "moved or copied" in message
    assert f'set witness_policy = "../stack/{POLICY}"' in message, message


def test_with_no_copy_found_it_says_what_to_set(tmp_path: Path) -> None:
    named = tmp_path / "gone" / POLICY
    found = VerifierSettings.model_construct(data_dir=tmp_path / "desk", witness_policy=named)
    with pytest.raises(Error) as caught:
        found.checkpoint_policy()
    assert caught.value.code == "trust_policy_invalid"
    assert f"relative to {tmp_path / 'desk'}" in caught.value.message
