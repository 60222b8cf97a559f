"""schemathesis, every check, against the issuer's OpenAPI description (OpenID4VCI and the
staff API), with an admin clerk's key: a request valid by the description is answered as
described, one that is not is refused, nothing crashes, and a staff call without its key
is refused (401)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from issuer.app import create_app
from tests.issuer.conftest import Env
from tests.openapi_fuzz import UNDER_ANY_LOAD, load


@pytest.fixture
def issuer_api(env: Env) -> Any:
    app = create_app(issuer=env.issuer, background=False)
    return load(app, bearer={"staffApiKey": env.keys["root"]})


schema = schemathesis.pytest.from_fixture("issuer_api")


@schema.parametrize()
@UNDER_ANY_LOAD
def test_the_issuer_answers_as_it_describes(case: Any) -> None:
    case.call_and_validate()
