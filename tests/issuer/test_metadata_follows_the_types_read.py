"""The issuer metadata is built once and served as built until what it is built from changes:
a type read from the ledger after the metadata was built (the type was not there yet) puts
that type's display into the metadata served next."""

from __future__ import annotations

from typing import Any

from civicid import transaction as tx
from issuer.settings import ConfigurationSettings
from tests.issuer.conftest import Env, load_type

LATER = "https://civicid.example/vct/national-id-later"


def display(document: dict[str, Any]) -> Any:
    supported = document["credential_configurations_supported"]["later"]
    return supported.get("credential_metadata", {}).get("display")


def test_a_type_read_after_the_metadata_was_built_is_in_the_next_metadata(env: Env) -> None:
    configurations = [
        *env.settings.credential_configurations,
        ConfigurationSettings(id="later", vct=LATER),
    ]
    env.issuer.settings = env.settings.model_copy(
        update={"credential_configurations": configurations}
    )
    before = env.issuer.issuer_metadata()  # the type is not on the ledger yet
    assert env.issuer.ledger.known_type(LATER) is None and not display(before)
    assert env.issuer.issuer_metadata() is before  # nothing changed: served as built

    metadata, schema = load_type("national-id")
    env.world.accredit(env.agency, [LATER])
    env.world.submit(
        env.agency,
        tx.CREDENTIAL_TYPE,
        {"vct": LATER, "metadata": {**metadata, "vct": LATER}, "schema": schema},
    )
    after = env.issuer.issuer_metadata()  # reads the type now on the ledger
    assert env.issuer.ledger.known_type(LATER) is not None
    assert after is not before
    names = [(d["locale"], d["name"]) for d in metadata["display"]]
    assert [(d["locale"], d["name"]) for d in display(after)] == names
    assert env.issuer.known_issuer_metadata() is after
