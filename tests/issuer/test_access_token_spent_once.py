"""An access token buys one credential request, also when two requests with it overlap: one
whose write is not yet on disk, or one that was being checked when the other took the offer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from civicid.errors import Error
from civicid.oid4vci import CredentialResponse
from issuer.records import ISSUED
from tests.issuer.conftest import Env
from tests.issuer.test_bad_input import credential_request, good_proof, offer, redeem


def test_a_token_spent_while_its_write_is_queued_is_refused(env: Env) -> None:
    """On a store of one process, memory is the truth: the store's copy of an offer lags it
    until the writer commits, and must not bring a spent token back."""
    made = offer(env)
    token = redeem(env, made)
    requests = [credential_request([good_proof(env)]) for _ in range(2)]

    async def both() -> tuple[list[str], Error]:
        # On an event loop, the first request's write waits for the loop's turn to end:
        # the second request comes while the stored offer still holds the token.
        answer, written = env.issuer.credential_request_begin(token, requests[0])
        with pytest.raises(Error) as caught:
            env.issuer.credential_request_begin(token, requests[1])
        await asyncio.wrap_future(written)
        return answer, caught.value

    answer, refusal = asyncio.run(both())
    assert refusal.code == "access_token_invalid"
    assert len(answer) == 1 and answer[0].endswith("~")
    assert env.store.counts()["issued"] == 1
    assert env.issuer.offer(made.offer.id).state == ISSUED


def test_a_token_spent_while_its_request_was_checked_is_refused(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offer is taken under the lock only after the proofs and the ledger were checked
    outside it: a request that finds its offer gone by then is refused, with the code."""
    made = offer(env)
    token = redeem(env, made)
    first, second = (credential_request([good_proof(env)]) for _ in range(2))
    check = env.issuer.ledger.require_accredited
    answers: list[CredentialResponse] = []
    calls: list[None] = []

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        calls.append(None)
        if len(calls) == 1:  # the first request, checked: the second one is served in full
            answers.append(env.issuer.credential_request(token, second))
        return check(*args, **kwargs)

    monkeypatch.setattr(env.issuer.ledger, "require_accredited", meanwhile)
    with pytest.raises(Error) as caught:
        env.issuer.credential_request(token, first)
    assert caught.value.code == "access_token_invalid"
    assert len(answers) == 1 and answers[0].credentials is not None
    assert env.store.counts()["issued"] == 1
    assert env.issuer.offer(made.offer.id).state == ISSUED
