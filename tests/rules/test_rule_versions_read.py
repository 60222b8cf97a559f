"""A rule's entries read as the ledger and the clients read them (``civicid.issuance_rules``):
a publish and a withdrawal each become the version they state, every field from the signed
entry; a withdrawal's reason and each entry's name and version at their bounds; the version in
force at a time; a rule file as an agency writes it; and a version as the issuer shows it."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from civicid import transaction as tx
from civicid.errors import Error
from civicid.identity import Identity
from civicid.issuance_rules import (
    MAX_REASON_CHARS,
    MAX_RULE_VERSIONS,
    ProvenRule,
    RuleVersion,
    from_rule_file,
    parse_publish,
    parse_withdraw,
    publish_body,
    version_of,
    withdraw_body,
)
from cli.demo_rules import RULE, SENIOR
from cli.stack import EXAMPLES
from tests.rules.world import POLICY

AGENCY = Identity.create()
LEAF = bytes(range(32))


def entry(tx_type: str, body: dict[str, Any], iat: int = 1_700_000_000) -> tx.Transaction:
    return tx.Transaction.parse(AGENCY.sign(tx_type, body, ledger="example.org/log", now=iat))


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(Error) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value.message


def publish(version: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "rule": RULE,
        "version": version,
        "vct": SENIOR,
        "policy": dict(POLICY),
        "claims": {"concession": "senior"},
        "copy": ["given_name"],
        **fields,
    }


def test_a_publish_entry_is_the_version_it_states() -> None:
    found = version_of(entry(tx.ISSUANCE_RULE, publish(3)), 17, LEAF)
    policy = parse_publish(publish(3))[3]
    assert found == RuleVersion(
        AGENCY.did, RULE, 3, 1_700_000_000, 17, SENIOR, policy, {"concession": "senior"},
        ("given_name",), None, LEAF,
    )  # fmt: skip
    assert not found.withdrawn and found.id == f"{AGENCY.did}/{RULE}"


def test_a_withdraw_entry_is_the_version_it_states_its_reason_trimmed() -> None:
    body = {"rule": RULE, "version": 4, "reason": "  The scheme has ended \n"}
    found = version_of(entry(tx.ISSUANCE_RULE_WITHDRAW, body, iat=1_700_000_500), 18, LEAF)
    assert found == RuleVersion(
        AGENCY.did, RULE, 4, 1_700_000_500, 18, reason="The scheme has ended", leaf_hash=LEAF
    )
    assert found.withdrawn


def test_an_entry_of_another_type_is_no_rule_version() -> None:
    other = entry(tx.CREDENTIAL_TYPE, {"vct": SENIOR})
    message = refused("issuance_rule_invalid", version_of, other, 1)
    assert tx.CREDENTIAL_TYPE in message


@pytest.mark.parametrize("version", [1, MAX_RULE_VERSIONS])
def test_a_version_from_one_to_the_most_is_taken(version: int) -> None:
    assert parse_withdraw({"rule": RULE, "version": version, "reason": "r"})[1] == version
    assert parse_publish(publish(version))[1] == version


@pytest.mark.parametrize("version", [0, -1, MAX_RULE_VERSIONS + 1, True, 1.0, "1", None])
def test_a_version_out_of_bounds_or_no_whole_number_is_refused(version: Any) -> None:
    refused(
        "issuance_rule_invalid", parse_withdraw, {"rule": RULE, "version": version, "reason": "r"}
    )
    refused("issuance_rule_invalid", parse_publish, publish(version))


@pytest.mark.parametrize("name", ["Senior", "senior transit", "", None, 7, "a/b"])
def test_a_rule_name_outside_the_pattern_is_refused(name: Any) -> None:
    refused("issuance_rule_invalid", parse_withdraw, {"rule": name, "version": 1, "reason": "r"})


def test_a_withdraw_without_a_rule_name_is_refused() -> None:
    refused("issuance_rule_invalid", parse_withdraw, {"version": 1, "reason": "r"})


def test_a_reason_at_its_length_is_taken_one_more_refused() -> None:
    longest = "x" * MAX_REASON_CHARS
    assert parse_withdraw({"rule": RULE, "version": 2, "reason": longest}) == (RULE, 2, longest)
    longer = {"rule": RULE, "version": 2, "reason": longest + "x"}
    refused("issuance_rule_invalid", parse_withdraw, longer)


@pytest.mark.parametrize("reason", ["", " \t\n", None, 5, ["ended"]])
def test_a_reason_that_is_no_text_or_blank_is_refused(reason: Any) -> None:
    body = {"rule": RULE, "version": 2, "reason": reason}
    refused("issuance_rule_invalid", parse_withdraw, body)
    refused("issuance_rule_invalid", withdraw_body, name=RULE, version=2, reason=reason)


def test_a_withdraw_body_is_checked_and_kept_as_given() -> None:
    body = withdraw_body(name=RULE, version=2, reason=" ended ")
    assert body == {"rule": RULE, "version": 2, "reason": " ended "}


def test_a_publish_body_names_its_policy_after_the_rule_and_copies_its_fields() -> None:
    claims, copy = {"concession": "senior"}, ("given_name",)
    body = publish_body(name=RULE, version=2, vct=SENIOR, policy=POLICY, claims=claims, copy=copy)
    assert body == {
        "rule": RULE,
        "version": 2,
        "vct": SENIOR,
        "policy": {**POLICY, "name": RULE},
        "claims": claims,
        "copy": ["given_name"],
    }
    assert body["claims"] is not claims and type(body["copy"]) is list
    bare = publish_body(name=RULE, version=1, vct=SENIOR, policy=POLICY)
    assert (bare["claims"], bare["copy"]) == ({}, [])


def test_a_publish_body_the_ledger_would_refuse_is_refused_when_made() -> None:
    refused(
        "issuance_rule_invalid", publish_body,
        name=RULE, version=1, vct=SENIOR, policy=POLICY, copy=["resident_city"],
    )  # fmt: skip


def rule_file() -> dict[str, Any]:
    return tomllib.loads((EXAMPLES / "rules" / f"{RULE}.toml").read_text("utf-8"))


def test_a_rule_file_is_a_publish_body_but_its_version() -> None:
    data = rule_file()
    body = from_rule_file(data, RULE)
    policy = {k: v for k, v in data.items() if k not in {"issues", "claims", "copy_claims"}}
    assert body == {
        "rule": RULE,
        "vct": data["issues"],
        "policy": {**policy, "name": RULE},
        "claims": data["claims"],
        "copy": data["copy_claims"],
    }


def test_a_rule_file_names_its_rule_before_the_name_it_is_given() -> None:
    data = {**rule_file(), "name": "senior-pass"}
    body = from_rule_file(data, RULE)
    assert body["rule"] == body["policy"]["name"] == "senior-pass"


def test_a_rule_file_without_claims_or_copy_fixes_and_copies_nothing() -> None:
    data = {k: v for k, v in rule_file().items() if k not in {"claims", "copy_claims"}}
    body = from_rule_file(data, RULE)
    assert (body["claims"], body["copy"]) == ({}, [])


def test_a_rule_file_without_a_name_is_refused_naming_the_key() -> None:
    assert "name =" in refused("issuance_rule_invalid", from_rule_file, rule_file())


@pytest.mark.parametrize("issues", [None, 7])
def test_a_rule_file_that_issues_no_type_is_refused(issues: Any) -> None:
    data = {**rule_file(), "issues": issues}
    if issues is None:
        del data["issues"]
    refused("issuance_rule_invalid", from_rule_file, data, RULE)


def versioned(*entries: tuple[int, str | None]) -> ProvenRule:
    """A rule whose versions were logged at these times, each a publish or (a reason) a
    withdrawal."""
    policy = parse_publish(publish())[3]
    versions = tuple(
        RuleVersion(AGENCY.did, RULE, n, at, n, reason=reason)
        if reason is not None
        else RuleVersion(AGENCY.did, RULE, n, at, n, SENIOR, policy, {}, ())
        for n, (at, reason) in enumerate(entries, start=1)
    )
    return ProvenRule(AGENCY.did, RULE, versions, checkpoint=None)  # type: ignore[arg-type]


def test_the_version_in_force_is_the_last_logged_at_or_before_the_time() -> None:
    rule = versioned((100, None), (200, None), (300, None))
    assert [rule.in_force(at).version for at in (100, 199, 200, 299, 300, 10_000)] == [
        1, 1, 2, 2, 3, 3,
    ]  # fmt: skip
    assert rule.latest.version == 3


def test_before_its_first_version_no_rule_is_in_force() -> None:
    message = refused("issuance_rule_not_in_force", versioned((100, None)).in_force, 99)
    assert RULE in message and "99" in message


def test_a_withdrawal_in_force_refuses_naming_its_version_and_reason() -> None:
    rule = versioned((100, None), (200, "The scheme has ended"), (300, None))
    assert rule.in_force(199).version == 1 and rule.in_force(300).version == 3
    with pytest.raises(Error) as caught:
        rule.in_force(250)
    assert caught.value.code == "issuance_rule_withdrawn"
    assert caught.value.details == {"version": 2}
    assert "The scheme has ended" in caught.value.message


def test_a_published_version_is_shown_with_its_policy_in_words() -> None:
    found = version_of(entry(tx.ISSUANCE_RULE, publish(3)), 17, LEAF)
    policy = found.policy
    assert policy is not None
    assert found.to_json() == {
        "issuer": AGENCY.did,
        "rule": RULE,
        "version": 3,
        "seq": 17,
        "time": 1_700_000_000,
        "withdrawn": False,
        "vct": SENIOR,
        "title": policy.title,
        "purpose": policy.purpose,
        "accepts": list(policy.credential_types),
        "conditions": ["resident: yes", "age is at least 65"],
        "claims": {"concession": "senior"},
        "copy": ["given_name"],
    }


def test_a_withdrawal_is_shown_with_its_reason() -> None:
    body = {"rule": RULE, "version": 4, "reason": "The scheme has ended"}
    found = version_of(entry(tx.ISSUANCE_RULE_WITHDRAW, body, iat=1_700_000_500), 18)
    assert found.leaf_hash == b""  # read without its leaf's hash: none
    assert found.to_json() == {
        "issuer": AGENCY.did,
        "rule": RULE,
        "version": 4,
        "seq": 18,
        "time": 1_700_000_500,
        "withdrawn": True,
        "reason": "The scheme has ended",
    }
