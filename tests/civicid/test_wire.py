"""The wire convention: RFC 3339 times (NumericDate accepted on input), hex names, base64
proof hashes, camelCase members, and a wrong shape refused with our code."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.wire import (
    AccreditationView,
    ConsistencyProof,
    IncludedEntry,
    InclusionProof,
    Receipt,
    TrustAnswer,
)

HASH = bytes(range(32))


def test_a_receipt_round_trips_with_hex_leaf_hash() -> None:
    receipt = Receipt(
        seq=3, leaf_hash=HASH, id="t" * 22, type="did.create", tree_size=4, checkpoint="note"
    )
    data = receipt.to_json()
    assert data == {
        "seq": 3,
        "leafHash": HASH.hex(),
        "id": "t" * 22,
        "type": "did.create",
        "treeSize": 4,
        "checkpoint": "note",
    }
    assert Receipt.from_json(data) == receipt


def test_proof_paths_are_standard_base64_and_from_keeps_its_name() -> None:
    proof = ConsistencyProof(from_size=1, to=2, consistency=[HASH])
    assert proof.to_json() == {
        "from": 1,
        "to": 2,
        "consistency": ["AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="],
    }
    assert ConsistencyProof.from_json(proof.to_json()) == proof
    inclusion = InclusionProof(seq=0, tree_size=1, leaf_hash=HASH, inclusion=[])
    assert inclusion.to_json()["leafHash"] == HASH.hex()


@pytest.mark.parametrize(
    "given", [1_780_000_000, "2026-05-28T20:26:40Z", "2026-05-28T22:26:40+02:00"]
)
def test_times_go_out_as_rfc3339_and_come_in_either_way(given: int | str) -> None:
    view = AccreditationView.from_json(
        {
            "accreditation": "acc-1",
            "subject": "did:civicid:x",
            "kind": "issuer",
            "credentialTypes": ["vct"],
            "validFrom": given,
            "validUntil": given,
            "purpose": "p",
            "legalBasis": "l",
            "seq": 1,
            "status": "active",
        }
    )
    assert view.valid_from == 1_780_000_000
    assert view.to_json()["validFrom"] == "2026-05-28T20:26:40Z"
    assert "claims" not in view.to_json() and "revoked" not in view.to_json()


def test_a_trust_answer_keeps_a_null_verdict_member() -> None:
    answer = TrustAnswer(
        checkpoint="n",
        tree_size=1,
        entries=[],
        subject="s",
        kind="issuer",
        at=0,
        accredited=False,
        vct="v",
    )
    data = answer.to_json()
    assert data["accreditation"] is None and data["at"] == "1970-01-01T00:00:00Z"
    assert "claims" not in data


@pytest.mark.parametrize(
    "data",
    [
        {"seq": 0, "leafHash": "zz" * 32, "inclusion": []},
        {"seq": 0, "leafHash": HASH.hex()[:-2], "inclusion": []},
        {"seq": 0, "transaction": "x", "inclusion": ["not base64!"]},
        {"seq": -1, "transaction": "x", "inclusion": []},
        {"seq": 0, "transaction": "x"},
    ],
)
def test_a_wrong_shape_is_wire_malformed(data: dict[str, object]) -> None:
    with pytest.raises(Error) as info:
        IncludedEntry.from_json(data)
    assert info.value.code == "wire_malformed"


@pytest.mark.parametrize("bad", ["2026-13-01T00:00:00Z", "2026-05-28T20:26:40", True, -1])
def test_a_bad_time_is_refused(bad: object) -> None:
    with pytest.raises(Error) as info:
        TrustAnswer.from_json(
            {
                "checkpoint": "n",
                "treeSize": 1,
                "entries": [],
                "subject": "s",
                "kind": "issuer",
                "at": bad,
                "accredited": False,
                "vct": "v",
            }
        )
    assert info.value.code == "wire_malformed"


# A receipt as the ledger sends it, but for the part each case changes.
RECEIPT = '"leafHash": "%s", "id": "x", "type": "t", "treeSize": 1, "checkpoint": "n"' % ("ab" * 32)


@pytest.mark.parametrize(
    "text",
    [
        '{"seq": 0, "seq": 1, ' + RECEIPT + "}",
        '\ufeff{"seq": 0, ' + RECEIPT + "}",
        '{"seq": 0, ' + RECEIPT.replace('"x"', '"\\ud800"') + "}",
        '{"seq": 1e400, ' + RECEIPT + "}",
    ],
    ids=["named-twice", "byte-order-mark", "lone-surrogate", "beyond-a-double"],
)
def test_a_message_as_text_is_read_as_i_json(text: str) -> None:
    # The model's own parser took the last of a member named twice, a byte order mark and a
    # lone surrogate: a peer's message another reader would read otherwise.
    Receipt.from_json(text.replace("\ufeff", "").replace('"seq": 0, "seq": 1', '"seq": 1'
                      ).replace("\\ud800", "x").replace("1e400", "0"))  # fmt: skip
    with pytest.raises(Error) as info:
        Receipt.from_json(text)
    assert info.value.code == "wire_malformed"
    assert info.value.message.startswith("Receipt: ")
