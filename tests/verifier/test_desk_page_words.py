"""The desk's page words a policy's claims and conditions as the wallet does: the kernel's
words (``civicid.words``) with the labels the credential type registered on the ledger gives
its claims; a type the ledger does not answer for leaves the claims worded from their names."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from civicid import words
from civicid.errors import Error
from civicid.policy import Policy
from verifier.routes.desk import page_words, type_labels

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NATIONAL_ID = "https://civicid.example/vct/national-id"


def example_policy(name: str) -> Policy:
    data = tomllib.loads((EXAMPLES / "policies" / f"{name}.toml").read_text(encoding="utf-8"))
    return Policy.from_toml(data, name, name=name)


def metadata() -> dict[str, Any]:
    text = (EXAMPLES / "types" / "national-id.metadata.json").read_text(encoding="utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


class Ledger:
    """The desk's trust, as far as the page asks it: a type's metadata, or a refusal."""

    def __init__(self, types: dict[str, dict[str, Any]]) -> None:
        self.types = types
        self.asked: list[tuple[str, int]] = []

    def credential_type(self, vct: str, *, max_age: int) -> Any:
        self.asked.append((vct, max_age))
        if vct not in self.types:
            raise Error("credential_type_not_found", "not registered")
        return SimpleNamespace(metadata=self.types[vct])


def test_claims_by_the_type_s_labels_as_the_wallet_shows_them() -> None:
    policy = example_policy("identity-check")
    ledger = Ledger({NATIONAL_ID: metadata()})
    labels = type_labels(SimpleNamespace(trust=ledger), policy)  # type: ignore[arg-type]
    said = page_words(policy, labels)
    assert said["claims"] == {
        "given_name": "Given name",
        "family_name": "Family name",
        "birthdate": "Date of birth",
        "resident": "Resident",
    }
    assert said["conditions"] == {"age is at least 16": "Age 16 or over"}
    assert [vct for vct, _ in ledger.asked] == [NATIONAL_ID]


def test_a_type_the_ledger_does_not_answer_for_leaves_the_names() -> None:
    policy = example_policy("identity-check")
    labels = type_labels(SimpleNamespace(trust=Ledger({})), policy)  # type: ignore[arg-type]
    assert labels == {}
    said = page_words(policy, labels)
    assert said["claims"]["birthdate"] == "Date of birth"
    assert said["claims"]["given_name"] == "Given name"


def test_conditions_are_the_kernel_s_words_for_each_predicate() -> None:
    policy = example_policy("housing-benefit")
    said = page_words(policy, {})
    assert said["conditions"] == {p.describe(): words.condition(p) for p in policy.predicates}
    assert list(said["conditions"].values()) == ["Resident must be yes", "Age 18 or over"]
