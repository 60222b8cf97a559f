"""Policies: the examples load; the housing-benefit request asks for exactly what it needs;
bad files are refused with the field named."""

from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from tests import odd_files
from tests.verifier.world import EXAMPLES
from verifier.policy import MAX_POLICY_BYTES, Policy, load_policies, load_policy

BASE = """title = "T"\npurpose = "P"\ncredential_types = ["https://civicid.example/vct/x"]\n"""


def test_examples_load() -> None:
    policies = load_policies(EXAMPLES)
    assert {"housing-benefit", "age-check", "identity-check"} <= set(policies)


def test_housing_benefit_asks_for_exactly_resident_and_age_18() -> None:
    policy = load_policy(EXAMPLES / "housing-benefit.toml")
    query = policy.dcql().to_json()
    (credential,) = query["credentials"]
    assert credential["meta"] == {"vct_values": ["https://civicid.example/vct/national-id"]}
    assert [c["path"] for c in credential["claims"]] == [
        ["resident"],
        ["age_equal_or_over", "18"],
    ]
    assert "claim_sets" not in credential
    assert policy.requested == ("resident", "age_equal_or_over.18")


def test_optional_claims_become_a_second_claim_set() -> None:
    policy = load_policy(EXAMPLES / "identity-check.toml")
    (credential,) = policy.dcql().to_json()["credentials"]
    assert credential["claim_sets"] == [["c0", "c1", "c2", "c3"], ["c0", "c1", "c2"]]


def write(tmp_path: Path, text: str, name: str = "p") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("title = ", "not TOML"),
        (BASE + "required_claims = []\n", "asks for no claim"),
        (BASE + 'required_claims = ["a"]\ncolour = "red"\n', "colour"),
        (
            'title = "T"\npurpose = "P"\ncredential_types = []\nrequired_claims = ["a"]\n',
            "credential_types",
        ),
        (BASE + 'required_claims = ["a b"]\n', "claim"),
        (BASE + 'required_claims = ["a", "a"]\n', "twice"),
        (BASE + 'required_claims = ["a"]\noptional_claims = ["a"]\n', "both required and optional"),
        (BASE + 'required_claims = ["a"]\nissuers = ["did:web:x"]\n', "issuers"),
        (BASE + 'required_claims = ["a"]\nmax_ledger_age_seconds = -1\n', "max_ledger_age_seconds"),
        (BASE + 'required_claims = ["a"]\nallow_suspended = "yes"\n', "allow_suspended"),
        (BASE + '[[predicates]]\nclaim = "a"\n', "exactly one of"),
        (BASE + '[[predicates]]\nclaim = "a"\nequals = 1\none_of = [1]\n', "exactly one of"),
        (BASE + '[[predicates]]\nclaim = "birthdate"\nage_at_least = 500\n', "age_at_least"),
        (BASE + '[[predicates]]\nclaim = "x"\ndate_in_future = false\n', "date_in_future"),
        (BASE + 'name = "other"\nrequired_claims = ["a"]\n', "differs from the file name"),
    ],
)
def test_bad_policies_name_what_is_wrong(tmp_path: Path, text: str, names: str) -> None:
    with pytest.raises(Error) as caught:
        load_policy(write(tmp_path, text))
    assert caught.value.code == "policy_invalid"
    assert names in caught.value.message and str(tmp_path) in caught.value.message


def test_unknown_policy_file(tmp_path: Path) -> None:
    with pytest.raises(Error) as caught:
        load_policy(tmp_path / "nope.toml")
    assert caught.value.code == "policy_unknown"


@pytest.mark.parametrize("kind", odd_files.KINDS)
def test_a_policy_that_is_no_regular_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    """Before, a named pipe among the policies held the desk's start for ever, and a policy
    that was /dev/zero was read until the memory ran out (its bound checked after)."""
    path = tmp_path / "p.toml"
    odd_files.put(path, kind)
    with pytest.raises(Error) as caught:
        load_policies(tmp_path)
    assert caught.value.code == "policy_invalid"
    assert "not a regular file" in caught.value.message and str(path) in caught.value.message


@pytest.mark.parametrize("found", ["missing", "a file"])
def test_a_policy_directory_lost_is_refused_not_read_as_none(tmp_path: Path, found: str) -> None:
    """Before, a desk whose policy directory was gone started with no policy at all: an empty
    desk page, and every request refused ``policy_unknown``, as if it had never had any."""
    directory = tmp_path / "policies"
    if found == "a file":
        directory.write_text("")
    with pytest.raises(Error) as caught:
        load_policies(directory)
    assert caught.value.code == "policies_missing"
    assert str(directory) in caught.value.message
    assert "restore the directory from a backup" in caught.value.message
    directory.unlink(missing_ok=True)
    directory.mkdir()
    assert load_policies(directory) == {}  # a desk may have none: an empty directory says so


def test_a_policy_over_its_bound_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + 'required_claims = ["a"]\n' + "#" * MAX_POLICY_BYTES + "\n")
    with pytest.raises(Error) as caught:
        load_policy(path)
    assert caught.value.code == "policy_invalid"
    assert f"over {MAX_POLICY_BYTES} bytes" in caught.value.message


@pytest.mark.parametrize(
    ("predicate", "value", "holds"),
    [
        ({"claim": "birthdate", "age_at_least": 18}, "2008-05-28", True),
        ({"claim": "birthdate", "age_at_least": 18}, "2008-05-29", False),
        ({"claim": "birthdate", "age_at_least": 18}, "not a date", False),
        ({"claim": "age_equal_or_over", "age_at_least": 18}, True, True),
        ({"claim": "age_equal_or_over", "age_at_least": 18}, "true", False),
        ({"claim": "resident", "equals": True}, 1, False),
        ({"claim": "resident", "equals": True}, True, True),
        ({"claim": "country", "one_of": ["FR", "DE"]}, "DE", True),
        ({"claim": "country", "one_of": ["FR", "DE"]}, "IT", False),
        ({"claim": "expiry", "date_in_future": True}, "2026-05-29", True),
        ({"claim": "expiry", "date_in_future": True}, "2026-05-28", False),
    ],
)
def test_predicates(predicate: dict[str, Any], value: Any, holds: bool) -> None:
    from datetime import date

    from verifier.policy import Predicate

    parsed = Predicate.from_toml(predicate, "test")
    today = date(2026, 5, 28)
    if holds:
        parsed.check([value], today)
    else:
        with pytest.raises(Error) as caught:
            parsed.check([value], today)
        assert caught.value.code == "predicate_failed"
    assert isinstance(parsed, Predicate) and not isinstance(parsed, Policy)
