"""Attack: a man in the middle (or the ledger's operator) edits a ledger answer: widens an
accreditation's validity, or swaps the status list token for an all-valid one. Every entry is
proven against the signed checkpoint and its signer's key, so the check fails."""

import json

import httpx
import pytest

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import Clock, World, open_desk


class Editing(httpx.BaseTransport):
    """Rewrites the JSON answers of ``path`` with ``edit``."""

    def __init__(self, inner: httpx.BaseTransport, path: str, edit: object) -> None:
        self.inner, self.path, self.edit = inner, path, edit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        if request.url.path != self.path:
            return answer
        body = json.loads(answer.read())
        self.edit(body)  # type: ignore[operator]
        return httpx.Response(answer.status_code, json=body)


def shift_first_entry(body: dict[str, object]) -> None:
    entries = body["entries"]
    assert isinstance(entries, list) and entries
    text = entries[0]["transaction"]
    head, payload, signature = text.split(".")
    entries[0]["transaction"] = f"{head}.{payload[:-2]}AA.{signature}"


@pytest.mark.parametrize("path", ["/accreditations", "/status-lists"])
def test_an_edited_answer_is_refused(
    world: World, http: httpx.BaseTransport, clock: Clock, path: str
) -> None:
    desk = open_desk(world, Editing(http, path, shift_first_entry), Clock(clock.now + 60),
                     check_accreditation=False)  # fmt: skip
    try:
        presentation, nonce = fresh(world, desk, world.credential())
        step = "accreditation" if path == "/accreditations" else "status"
        decision = refused(desk, presentation, "inclusion_proof_invalid", nonce=nonce, step=step)
        assert decision.failed is not None
        assert decision.reason.startswith("The ledger's answer could not be verified")
    finally:
        desk.close()
