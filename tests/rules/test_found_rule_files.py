"""A rule file (or a desk's policy file) nested too deeply for the TOML reader is refused
with the file's code, not a RecursionError's traceback; the file is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.issuance_rules import ISSUANCE_RULE_INVALID
from civicid.policy import POLICY_INVALID
from issuer.rule_book import MAX_RULE_FILE_BYTES, read_rule_file
from verifier.policy import load_policy

# Under the size limits, yet far deeper than the reader's recursion allows.
DEEP = "title = " + "[" * 20_000 + "]" * 20_000 + "\n"


def test_a_deeply_nested_rule_file(tmp_path: Path) -> None:
    assert len(DEEP) < MAX_RULE_FILE_BYTES
    path = tmp_path / "deep.toml"
    path.write_text(DEEP)
    with pytest.raises(Error) as refused:
        read_rule_file(path)
    assert ISSUANCE_RULE_INVALID.matches(refused.value)
    assert path.read_text() == DEEP


def test_a_deeply_nested_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(DEEP)
    with pytest.raises(Error) as refused:
        load_policy(path)
    assert POLICY_INVALID.matches(refused.value)
