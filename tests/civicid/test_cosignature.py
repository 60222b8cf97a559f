"""C2SP tlog-cosignature v1: the spec's examples, an independent check of the key ID and the
signed message, and every refusal by its code."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from civicid.checkpoint import (
    MAX_NOTE_BYTES,
    MAX_NOTE_SIGNATURES,
    Checkpoint,
    NoteSigner,
    NoteVerifier,
)
from civicid.cosignature import (
    MAX_COSIGNATURE_TIMESTAMP,
    MAX_FUTURE_SKEW_SECONDS,
    CosignatureVerifier,
    CosignerKey,
    attach_cosignatures,
    cosigned_message,
    split_cosigned,
    verify_cosignatures,
)
from civicid.errors import Error

# tlog-cosignature "Signed message" and the checkpoint of its examples.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_TIME = 1679315147
SPEC_MESSAGE = "cosignature/v1\ntime 1679315147\n" + SPEC_BODY
SPEC_COSIGNATURE = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dl"
    "rDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SPEC_LOG_LINE = (
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)

NAME = "witness.example/w1"
SEED = bytes(31) + b"\x01"
NOW = 1_780_000_000
LOG = NoteSigner("log.example/civicid", bytes(range(32)))
CHECKPOINT = Checkpoint("log.example/civicid", 42, hashlib.sha256(b"root").digest())


def _code(exc: pytest.ExceptionInfo[Error]) -> str:
    return exc.value.code


def _blob(line: str) -> bytes:
    return base64.b64decode(line.rstrip("\n").split(" ")[2])


def _line(name: str, blob: bytes) -> str:
    return f"\u2014 {name} {base64.b64encode(blob).decode()}\n"


# -- the spec's examples and an independent derivation ---------------------------------------


def test_signed_message_is_the_spec_example() -> None:
    assert cosigned_message(SPEC_BODY, SPEC_TIME) == SPEC_MESSAGE.encode()


def test_spec_example_line_is_key_id_then_big_endian_timestamp() -> None:
    blob = _blob(SPEC_COSIGNATURE)
    assert len(blob) == 4 + 72  # key ID || timestamped_signature
    assert struct.unpack(">Q", blob[4:12]) == (SPEC_TIME,)
    # Ours at the same time carries the same 8 timestamp bytes after its own key ID.
    ours = _blob(CosignerKey(NAME, SEED).cosign(SPEC_BODY, SPEC_TIME))
    assert ours[4:12] == blob[4:12]


def test_spec_example_is_ignored_by_a_cosigner_it_is_not_from() -> None:
    note = SPEC_BODY + "\n" + SPEC_LOG_LINE + SPEC_COSIGNATURE
    verifier = CosignerKey("witness.example.com/w1", SEED).verifier()
    assert verify_cosignatures(note, [verifier]) == ()  # same name, other key ID: not ours
    split = split_cosigned(note)
    assert split.log_lines == (SPEC_LOG_LINE,)
    assert split.cosignature_lines == (SPEC_COSIGNATURE,)


def test_key_id_vkey_and_signature_derived_independently() -> None:
    key = CosignerKey(NAME, SEED)
    public = key.verifier().public_key
    key_id = hashlib.sha256(NAME.encode() + b"\n\x04" + public).digest()[:4]
    assert key.key_id == key_id
    wrapped = base64.b64encode(b"\x04" + public).decode()
    assert key.vkey() == f"{NAME}+{key_id.hex()}+{wrapped}"
    line = key.cosign(CHECKPOINT, NOW)
    assert line.startswith(f"\u2014 {NAME} ") and line.endswith("\n")
    blob = _blob(line)
    assert blob[:4] == key_id and struct.unpack(">Q", blob[4:12]) == (NOW,)
    message = f"cosignature/v1\ntime {NOW}\n{CHECKPOINT.body()}".encode()
    Ed25519PublicKey.from_public_bytes(public).verify(blob[12:], message)  # raises if wrong
    assert key.verifier().verify_line(CHECKPOINT, line) == NOW
    assert key.verifier().verify_line(CHECKPOINT.body(), line, now=NOW) == NOW


@given(st.integers(min_value=0, max_value=MAX_COSIGNATURE_TIMESTAMP))
def test_any_timestamp_in_range_round_trips(timestamp: int) -> None:
    key = CosignerKey(NAME, SEED)
    assert key.verifier().verify_line(CHECKPOINT, key.cosign(CHECKPOINT, timestamp)) == timestamp


def test_repr_never_shows_the_seed() -> None:
    assert SEED.hex() not in repr(CosignerKey(NAME, SEED))
    assert CosignerKey(NAME, SEED).seed == SEED


def test_a_log_verifier_ignores_cosignature_lines() -> None:
    note = attach_cosignatures(LOG.sign_checkpoint(CHECKPOINT), [_cosign(NAME)])
    assert NoteVerifier(LOG.vkey()).verify(note) == CHECKPOINT.body()


# -- refusals --------------------------------------------------------------------------------


def _cosign(name: str = NAME, seed: bytes = SEED, when: int = NOW) -> str:
    return CosignerKey(name, seed).cosign(CHECKPOINT, when)


def test_tampered_signature_or_timestamp_or_checkpoint_is_invalid() -> None:
    verifier = CosignerKey(NAME, SEED).verifier()
    blob = bytearray(_blob(_cosign()))
    blob[-1] ^= 1
    forged_sig = _line(NAME, bytes(blob))
    blob = bytearray(_blob(_cosign()))
    blob[11] ^= 1  # the timestamp is signed too
    forged_time = _line(NAME, bytes(blob))
    other = Checkpoint(CHECKPOINT.origin, 43, CHECKPOINT.root)
    for checkpoint, line in (
        (CHECKPOINT, forged_sig),
        (CHECKPOINT, forged_time),
        (other, _cosign()),
    ):
        with pytest.raises(Error) as exc:
            verifier.verify_line(checkpoint, line)
        assert _code(exc) == "cosignature_invalid"


def test_wrong_size_and_out_of_range_timestamp_on_the_wire_are_invalid() -> None:
    verifier = CosignerKey(NAME, SEED).verifier()
    blob = _blob(_cosign())
    short = _line(NAME, blob[:-1])
    too_late = _line(NAME, blob[:4] + struct.pack(">Q", 2**63) + blob[12:])
    for line in (short, too_late):
        with pytest.raises(Error) as exc:
            verifier.verify_line(CHECKPOINT, line)
        assert _code(exc) == "cosignature_invalid"


def test_future_timestamp_beyond_the_skew_is_refused() -> None:
    verifier = CosignerKey(NAME, SEED).verifier()
    edge = _cosign(when=NOW + MAX_FUTURE_SKEW_SECONDS)
    assert verifier.verify_line(CHECKPOINT, edge, now=NOW) == NOW + MAX_FUTURE_SKEW_SECONDS
    ahead = _cosign(when=NOW + MAX_FUTURE_SKEW_SECONDS + 1)
    with pytest.raises(Error) as exc:
        verifier.verify_line(CHECKPOINT, ahead, now=NOW)
    assert _code(exc) == "cosignature_from_future"
    note = attach_cosignatures(LOG.sign_checkpoint(CHECKPOINT), [ahead])
    with pytest.raises(Error) as exc:
        verify_cosignatures(note, [verifier], now=NOW)
    assert _code(exc) == "cosignature_from_future"
    assert verify_cosignatures(note, [verifier], now=NOW, max_future_skew=3600)


@pytest.mark.parametrize("timestamp", [-1, MAX_COSIGNATURE_TIMESTAMP + 1, True, 1.5])
def test_signing_refuses_a_timestamp_out_of_range(timestamp: object) -> None:
    with pytest.raises(Error) as exc:
        CosignerKey(NAME, SEED).cosign(CHECKPOINT, timestamp)  # type: ignore[arg-type]
    assert _code(exc) == "cosignature_timestamp_invalid"


def test_a_line_by_another_cosigner_or_malformed_is_refused() -> None:
    verifier = CosignerKey(NAME, SEED).verifier()
    other = _cosign(seed=b"\x02" * 32)
    assert not verifier.matches(other) and verifier.matches(_cosign())
    with pytest.raises(Error) as exc:
        verifier.verify_line(CHECKPOINT, other)
    assert _code(exc) == "note_unknown_key"
    for bad in ("no dash\n", _cosign().rstrip("\n"), _cosign() + _cosign(), "\u2014 a !!!\n"):
        with pytest.raises(Error) as exc:
            verifier.verify_line(CHECKPOINT, bad)
        assert _code(exc) == "note_malformed"


def test_only_checkpoints_are_cosigned_or_verified() -> None:
    with pytest.raises(Error) as exc:
        CosignerKey(NAME, SEED).cosign("not a checkpoint\n", NOW)
    assert _code(exc) == "checkpoint_malformed"
    note = NoteSigner("x", SEED).sign("hello\n")
    with pytest.raises(Error) as exc:
        verify_cosignatures(note, [CosignerKey(NAME, SEED).verifier()])
    assert _code(exc) == "checkpoint_malformed"


@pytest.mark.parametrize(
    ("name", "seed"), [("", SEED), ("a b", SEED), ("a+b", SEED), (NAME, b"short"), (7, SEED)]
)
def test_bad_cosigner_key_is_refused(name: object, seed: bytes) -> None:
    with pytest.raises(Error) as exc:
        CosignerKey(name, seed)  # type: ignore[arg-type]
    assert _code(exc) == "signer_malformed"


def test_a_log_vkey_is_not_a_cosigner_vkey_and_back() -> None:
    with pytest.raises(Error) as exc:
        CosignatureVerifier(LOG.vkey())
    assert _code(exc) == "vkey_malformed"
    with pytest.raises(Error) as exc:
        NoteVerifier(CosignerKey(NAME, SEED).vkey())
    assert _code(exc) == "vkey_malformed"
    vkey = CosignerKey(NAME, SEED).vkey()
    with pytest.raises(Error) as exc:  # a key ID that does not derive from name and key
        CosignatureVerifier(vkey.replace(NAME, "witness.example/w2"))
    assert _code(exc) == "vkey_malformed"


# -- several cosignatures on one note ---------------------------------------------------------


def test_duplicates_count_once_with_the_newest_time_and_unknown_keys_are_ignored() -> None:
    w1, w2 = CosignerKey(NAME, SEED), CosignerKey("witness.example/w2", b"\x02" * 32)
    stranger = CosignerKey("stranger.example", b"\x03" * 32)
    lines = [
        w1.cosign(CHECKPOINT, NOW - 10),
        w1.cosign(CHECKPOINT, NOW),
        w1.cosign(CHECKPOINT, NOW),  # the very same line again: attached once
        stranger.cosign(CHECKPOINT, NOW),
        w2.cosign(CHECKPOINT, NOW - 5),
    ]
    note = attach_cosignatures(LOG.sign_checkpoint(CHECKPOINT), lines)
    assert note.count("\u2014 ") == 5  # the log's, two of w1, the stranger's, w2's
    verified = verify_cosignatures(note, [w1.verifier(), w2.verifier(), w1.verifier()], now=NOW)
    assert {(v.cosigner.name, v.timestamp) for v in verified} == {
        (NAME, NOW),
        ("witness.example/w2", NOW - 5),
    }


def test_a_bad_line_by_a_trusted_cosigner_refuses_the_note() -> None:
    blob = bytearray(_blob(_cosign()))
    blob[-1] ^= 1
    note = attach_cosignatures(
        LOG.sign_checkpoint(CHECKPOINT), [_cosign(when=NOW - 1), _line(NAME, bytes(blob))]
    )
    with pytest.raises(Error) as exc:
        verify_cosignatures(note, [CosignerKey(NAME, SEED).verifier()])
    assert _code(exc) == "cosignature_invalid"


def test_split_and_rejoin_a_cosigned_note() -> None:
    plain = LOG.sign_checkpoint(CHECKPOINT)
    note = attach_cosignatures(plain, [_cosign()])
    split = split_cosigned(note)
    assert split.text == CHECKPOINT.body()
    assert split.log_note() == plain
    assert split.cosignature_lines == (_cosign(),)
    assert split.note() == note
    assert split_cosigned(note, log_name=NAME).log_lines == (_cosign(),)
    with pytest.raises(Error) as exc:
        split_cosigned(note, log_name="another.example/log")
    assert _code(exc) == "note_unknown_key"


def test_attach_keeps_to_the_note_limits() -> None:
    plain = LOG.sign_checkpoint(CHECKPOINT)
    lines = [_cosign(when=NOW + i) for i in range(MAX_NOTE_SIGNATURES)]
    with pytest.raises(Error) as exc:
        attach_cosignatures(plain, lines)
    assert _code(exc) == "note_malformed"
    assert attach_cosignatures(plain, lines[:-1]).count("\n\u2014 ") == MAX_NOTE_SIGNATURES
    with pytest.raises(Error) as exc:
        attach_cosignatures(plain, ["not a signature line\n"])
    assert _code(exc) == "note_malformed"


# -- edges found by mutation testing ----------------------------------------------------------


def test_the_largest_timestamp_is_signed_and_verified() -> None:
    key = CosignerKey(NAME, SEED)
    line = key.cosign(CHECKPOINT, MAX_COSIGNATURE_TIMESTAMP)
    assert key.verifier().verify_line(CHECKPOINT, line) == MAX_COSIGNATURE_TIMESTAMP


def test_a_future_cosignature_names_its_witness_and_time() -> None:
    ahead = NOW + MAX_FUTURE_SKEW_SECONDS + 1
    with pytest.raises(Error) as exc:
        CosignerKey(NAME, SEED).verifier().verify_line(CHECKPOINT, _cosign(when=ahead), now=NOW)
    assert exc.value.details == {"witness": NAME, "timestamp": ahead}
    assert f"dated {MAX_FUTURE_SKEW_SECONDS + 1} s ahead" in exc.value.message


def test_duplicates_count_with_the_newest_time_in_any_order() -> None:
    lines = [_cosign(when=NOW), _cosign(when=NOW - 10)]  # newest first this time
    note = attach_cosignatures(LOG.sign_checkpoint(CHECKPOINT), lines)
    (verified,) = verify_cosignatures(note, [CosignerKey(NAME, SEED).verifier()])
    assert verified.timestamp == NOW


def test_lines_that_are_not_text_are_malformed() -> None:
    with pytest.raises(Error) as exc:
        CosignerKey(NAME, SEED).verifier().matches(_cosign().encode())  # type: ignore[arg-type]
    assert _code(exc) == "note_malformed"


def test_split_keeps_every_line_of_each_side() -> None:
    other_log_key = NoteSigner(LOG.name, b"\x06" * 32)  # the log's second key (a rotation)
    plain = LOG.sign_checkpoint(CHECKPOINT)
    second = other_log_key.sign_checkpoint(CHECKPOINT).split("\n\n")[-1]
    cosigs = [_cosign(), _cosign(seed=b"\x02" * 32, name="witness.example/w2")]
    note = attach_cosignatures(plain + second, cosigs)
    split = split_cosigned(note)
    assert split.log_note() == plain + second
    assert split.note() == note
    assert "".join(split.cosignature_lines) == "".join(cosigs)


def test_the_origin_line_is_the_log_name_whole() -> None:
    # An origin may hold spaces; a key name may not: a key named after its first word is no log.
    spaced = Checkpoint("log example", 1, bytes(32))
    word = NoteSigner("log", SEED)
    note = word.sign_checkpoint(spaced)
    with pytest.raises(Error) as exc:
        split_cosigned(note)
    assert _code(exc) == "note_unknown_key"


def test_attach_allows_a_note_of_exactly_the_limit() -> None:
    def note_with(filler: int) -> str:
        return LOG.sign_checkpoint(
            Checkpoint(CHECKPOINT.origin, CHECKPOINT.size, CHECKPOINT.root, ("x" * filler,))
        )

    line = _cosign()
    first = len(note_with(1000).encode()) + len(line.encode())  # the em dash is 3 bytes
    filler = 1000 + MAX_NOTE_BYTES - first
    exact = attach_cosignatures(note_with(filler), [line])
    assert len(exact.encode()) == MAX_NOTE_BYTES
    with pytest.raises(Error) as exc:
        attach_cosignatures(note_with(filler + 1), [line])
    assert _code(exc) == "note_too_large"


def test_generated_keys_are_new_and_work() -> None:
    first, second = CosignerKey.generate(NAME), CosignerKey.generate(NAME)
    assert first.name == NAME and first.seed != second.seed and len(first.seed) == 32
    assert first.verifier().verify_line(CHECKPOINT, first.cosign(CHECKPOINT, NOW)) == NOW
