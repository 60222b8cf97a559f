"""The issuer metadata reads every configuration's type it does not know yet: a type the
ledger does not have (refused) leaves the configurations after it read all the same."""

from __future__ import annotations

from typing import Any

from issuer.settings import ConfigurationSettings
from tests.issuer.conftest import CONFIG, NATIONAL_ID, Env, load_type

MISSING = "https://civicid.example/vct/never-registered"


def display(document: dict[str, Any], config: str) -> Any:
    supported = document["credential_configurations_supported"][config]
    return supported.get("credential_metadata", {}).get("display")


def test_a_type_the_ledger_lacks_does_not_stop_the_next_being_read(env: Env) -> None:
    configurations = [
        ConfigurationSettings(id="missing", vct=MISSING),  # first: its read is refused
        *env.settings.credential_configurations,
    ]
    env.issuer.settings = env.settings.model_copy(
        update={"credential_configurations": configurations}
    )
    assert env.issuer.ledger.known_type(NATIONAL_ID) is None  # not read yet

    document = env.issuer.issuer_metadata()

    assert env.issuer.ledger.known_type(MISSING) is None
    assert env.issuer.ledger.known_type(NATIONAL_ID) is not None
    metadata, _ = load_type("national-id")
    names = [(d["locale"], d["name"]) for d in metadata["display"]]
    assert [(d["locale"], d["name"]) for d in display(document, CONFIG)] == names
    assert not display(document, "missing")
