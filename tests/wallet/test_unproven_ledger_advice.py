"""A ledger's answer the wallet could not prove (no quorum of witnesses, a checkpoint too
old, a proof that does not verify) says what it means and what to do: it said "Nothing was
changed. If it happens again, note the code."."""

from __future__ import annotations

import pytest

from civicid.checkpoint_policy import CHECKPOINT_QUORUM_MISSING
from civicid.errors import Code, Error
from civicid.http import HTTP_UNREACHABLE
from civicid.ledger_client import LEDGER_FAILED, LEDGER_REFUSED
from wallet.errors import WALLET_URI_INVALID
from wallet.screens.error import ADVICE, UNPROVEN, advice


@pytest.mark.parametrize(
    "error",
    [
        CHECKPOINT_QUORUM_MISSING("checkpoint 19 is cosigned by no witness"),
        Error("inclusion_proof_invalid", "the proof does not lead to the root"),
        Error("ledger_answer_unproven", "the answer carries no proof"),
    ],
)
def test_an_unproven_ledger_answer_says_try_later_and_tell_the_operator(error: Error) -> None:
    said = advice(error)
    assert said == UNPROVEN
    assert "nothing it said was used" in said and "tell the ledger's operator" in said


def test_other_codes_keep_their_own_advice() -> None:
    assert advice(HTTP_UNREACHABLE("cannot reach it")) == ADVICE[HTTP_UNREACHABLE]
    assert advice(WALLET_URI_INVALID("no link")) == ADVICE[WALLET_URI_INVALID]
    # A code no part declares (a peer's name on the wire) is not read as the ledger's.
    assert advice(Error("checkpoint_made_up_by_a_peer", "x")) != UNPROVEN


@pytest.mark.parametrize("code", [LEDGER_REFUSED, LEDGER_FAILED])
def test_a_ledger_that_refused_to_answer_is_said_so(code: Code) -> None:
    """A ledger's (or a liar's) error answer is the client's own code now, its words in the
    details: the wallet says nothing was used, not "Nothing was changed"."""
    said = advice(code("the ledger answered HTTP 404", ledger_code="status_revoked"))
    assert said == ADVICE[code] and "nothing was sent" in said
    assert "revoked" not in said
