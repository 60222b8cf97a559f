"""schemathesis against a service's own OpenAPI description, in process: every check, a
handful of examples per operation and a deadline, so the suite stays fast.

The per-operation settings are the repository's ``schemathesis.toml`` (what the command
line ``st run … --checks all`` reads too): only there, and each with its reason, a rule no
schema can state lets a request valid by its description be refused.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Final

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.schemas import OpenApiSchema

SETTINGS: Final = Path(__file__).resolve().parent.parent / "schemathesis.toml"
# A handful of examples per operation and phase: enough to walk every declared constraint
# (the coverage phase adds its boundary cases), few enough to keep each service's run short.
MAX_EXAMPLES: Final = 5
# One fixed seed: a failure found is found again on the next run.
SEED: Final = 20261206
# Each test's own Hypothesis settings: generating a request for an operation with a large
# schema can take Hypothesis past its "too slow" health check on a machine busy with other
# work, which says nothing of the service's answers (what these tests check). Every other
# health check stays on.
UNDER_ANY_LOAD: Final = settings(suppress_health_check=[HealthCheck.too_slow])


@schemathesis.deserializer("application/did-resolution")
def did_resolution(_: Any, response: Any) -> Any:
    """W3C DID Resolution's media type is JSON: its answers are checked against their model
    like any other."""
    return json.loads(response.content)


def config(*, bearer: dict[str, str] | None = None) -> SchemathesisConfig:
    """The settings, and ``bearer``: a token by security scheme name (schemathesis sends it
    where the description asks for one, and checks that a wrong one is refused)."""
    data: dict[str, Any] = tomllib.loads(SETTINGS.read_text(encoding="utf-8"))
    data.update(
        seed=SEED,
        generation={"max-examples": MAX_EXAMPLES},
        phases={
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        checks={"enabled": True},
    )
    if bearer:
        data["auth"] = {"openapi": {name: {"bearer": token} for name, token in bearer.items()}}
    return SchemathesisConfig.from_dict(data, base_dir=str(SETTINGS.parent))


def load(app: Any, **kwargs: Any) -> OpenApiSchema:
    """``app``'s description, to be fuzzed in process (its lifespan started once)."""
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config(**kwargs))
