"""The happy path in-process: offer -> token -> nonce -> credential, what the credential holds,
batches of unlinkable copies, and the status list on the ledger."""

from __future__ import annotations

from civicid.status_list import STATUS_VALID
from tests.issuer.conftest import CONFIG, NATIONAL_ID, Env, sample_claims
from tests.issuer.holder import Holder, InProcess, check_credential


def test_issue_national_id(env: Env) -> None:
    created = env.issuer.create_offer(
        env.clerk(), configuration=CONFIG, record="REG-0001", claims=sample_claims()
    )
    holder = Holder(InProcess(env.issuer))
    now = env.clock()
    credentials = holder.receive(created.link, created.tx_code, copies=2, now=now)
    assert len(credentials) == 2
    seen_idx = set()
    for credential, key in zip(credentials, holder.keys, strict=True):
        verified = check_credential(credential, env.agency.key.public, key, now)
        payload = verified.payload
        assert payload["iss"] == env.agency.did
        assert verified.header["kid"] == env.agency.kid
        assert payload["vct"] == NATIONAL_ID
        assert payload["age_equal_or_over"] == {"18": True, "65": False}
        assert payload["address"]["locality"] == "Lyon"
        assert payload["nationalities"] == ["FR", "GB"]
        status = payload["status"]["status_list"]
        assert status["uri"] == f"{env.settings.public_url}/status/1"
        seen_idx.add(status["idx"])
        assert payload["exp"] - payload["iat"] == 365 * 86400
    assert len(seen_idx) == 2  # copies are unlinkable: each at its own index
    issued = env.issuer.credentials(record="REG-0001", status=None, limit=10, offset=0)
    assert len(issued) == 1 and issued[0].status == STATUS_VALID
    assert {i for _, i in issued[0].slots} == seen_idx
