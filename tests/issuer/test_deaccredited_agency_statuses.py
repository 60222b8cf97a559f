"""After its accreditation is revoked, the agency still revokes and suspends what it issued,
and verifiers see it on the ledger; lifting a suspension is refused at once, with the
ledger's code and nothing changed, so no list is left holding a change the ledger would
refuse (which would keep every later revocation on that list from being published)."""

from __future__ import annotations

import time

import pytest

from civicid.errors import Error
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from tests.issuer.conftest import NATIONAL_ID, Env, refused
from tests.issuer.test_bad_input import offer
from tests.issuer.test_status import issue, on_ledger


def test_a_deaccredited_agency_still_revokes_and_suspends(env: Env) -> None:
    suspended, later, other = issue(env, "REG-1"), issue(env, "REG-2"), issue(env, "REG-3")
    env.issuer.set_status(env.clerk(), suspended.id, "suspend")
    env.issuer.publish()
    env.world.revoke_accreditation(env.accreditation)
    env.issuer.ledger.forget()

    refused(env, lambda: env.issuer.set_status(env.clerk(), suspended.id, "reinstate"),
            "accreditation_revoked")  # fmt: skip
    assert env.issuer.lists.pending() == 0

    env.issuer.set_status(env.clerk(), later.id, "revoke")
    env.issuer.set_status(env.clerk(), other.id, "suspend")
    env.issuer.set_status(env.clerk(), suspended.id, "revoke")
    assert [r.number for r in env.issuer.publish()] == [1]
    assert on_ledger(env, later) == {STATUS_INVALID}
    assert on_ledger(env, other) == {STATUS_SUSPENDED}
    assert on_ledger(env, suspended) == {STATUS_INVALID}
    assert env.issuer.lists.pending() == 0


def test_while_accredited_a_suspension_is_lifted(env: Env) -> None:
    issued = issue(env)
    env.issuer.set_status(env.clerk(), issued.id, "suspend")
    env.issuer.publish()
    env.issuer.set_status(env.clerk(), issued.id, "reinstate")
    env.issuer.publish()
    assert on_ledger(env, issued) == {STATUS_VALID}


def test_lifting_a_suspension_asks_the_ledger_not_the_remembered_accreditation(
    env: Env,
) -> None:
    issued = issue(env)
    env.issuer.set_status(env.clerk(), issued.id, "suspend")
    env.issuer.publish()
    env.world.revoke_accreditation(env.accreditation)
    offer(env, record="REG-REMEMBERED")  # the accreditation read before is still remembered
    refused(env, lambda: env.issuer.set_status(env.clerk(), issued.id, "reinstate"),
            "accreditation_revoked")  # fmt: skip
    assert on_ledger(env, issued) == {STATUS_SUSPENDED}


def test_a_revocation_read_afresh_is_judged_within_the_same_second(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agency's standing is judged once per answer from the ledger and second: an answer
    read afresh in that second, which holds the revocation, is judged anew, not taken for the
    one judged before it."""
    view = env.issuer.ledger
    second = int(time.time()) + 3  # after the revocation below, which then counts
    monkeypatch.setattr(view, "clock", lambda: second)
    vct = NATIONAL_ID
    assert view.require_accredited(vct)  # judged now, and remembered for this second
    env.world.revoke_accreditation(env.accreditation)
    assert view.require_accredited(vct)  # the answer remembered: the same, judged once
    with pytest.raises(Error) as caught:
        view.require_accredited(vct, fresh=True)
    assert caught.value.code == "accreditation_revoked"
