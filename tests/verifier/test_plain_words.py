"""A refusal in plain words, looked up by its declared code: a list of another agency, a
ledger answer whose state map proof fails, a tampered card, a code with no words of its own."""

from __future__ import annotations

from verifier.decision import DEFAULT_PLAIN, plain


def test_each_refusal_has_words_a_person_reads() -> None:
    assert "another agency" in plain("status_list_not_issuers")
    assert plain("status_revoked") == "The card has been revoked by the agency that issued it."
    assert "ledger's answer could not be verified" in plain("map_proof_invalid")
    assert "tampered" in plain("sdjwt_disclosure_unreferenced")
    assert plain("not_a_code_anyone_declared") == DEFAULT_PLAIN
    assert plain(None) == ""
