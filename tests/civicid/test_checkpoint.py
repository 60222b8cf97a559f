"""C2SP signed notes and tlog checkpoints against the spec examples and a kit-made checkpoint
over the RFC 6962 reference tree; every refusal asserts its code."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.checkpoint import (
    MAX_NOTE_BYTES,
    MAX_NOTE_SIGNATURES,
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
)
from civicid.errors import Error, InvalidInput, TooLarge, VerificationError
from civicid.merkle import MerkleTree, leaf_hash
from tests.conftest import load_vector

TLOG = load_vector("tlog/tlog-vectors.json")
KIT: dict[str, Any] = TLOG["kit_checkpoint"]
KIT_NAME = "kit.example/log"
KIT_SEED = bytes.fromhex(KIT["ed25519_seed_hex"])
KIT_ROOT = bytes.fromhex(KIT["root_hex"])
SIG = KIT["note"][KIT["note"].rfind("\n\n") + 2 :]
BODY = KIT["note"][: KIT["note"].rfind("\n\n") + 1]


def _kit_verifier() -> NoteVerifier:
    return NoteVerifier(KIT["vkey"])


def _code(exc: pytest.ExceptionInfo[Error]) -> str:
    return exc.value.code


# -- official and kit vectors ---------------------------------------------------------------


def test_c2sp_signed_note_example_verifies() -> None:
    example = TLOG["signed_note_example"]
    verifier = NoteVerifier(example["vkey"])
    assert verifier.name == "example.com/foo"
    assert verifier.key_id == bytes.fromhex("530d903a")
    assert verifier.verify(example["note"]) == "This is an example message.\n"
    assert verifier.verify(example["note"].encode("utf-8")) == "This is an example message.\n"


def test_c2sp_checkpoint_example_parses() -> None:
    example = TLOG["checkpoint_example_c2sp"]
    # No verifier key is published for it: parse-only, so split the text off by hand.
    text = example["note"][: example["note"].rfind("\n\n") + 1]
    checkpoint = Checkpoint.parse_body(text)
    want = example["parsed"]
    assert checkpoint.origin == want["origin"]
    assert checkpoint.size == want["size"]
    assert checkpoint.root == base64.b64decode(want["root_b64"])
    assert checkpoint.extensions == ()
    assert checkpoint.body() == text


def test_kit_signer_reproduces_vkey_and_note() -> None:
    signer = NoteSigner(KIT_NAME, KIT_SEED)
    assert signer.vkey() == KIT["vkey"]
    assert signer.seed == KIT_SEED
    assert signer.key_id == _kit_verifier().key_id
    note = signer.sign_checkpoint(Checkpoint(KIT_NAME, KIT["tree_size"], KIT_ROOT))
    assert note == KIT["note"]  # Ed25519 (RFC 8032) is deterministic
    checkpoint = open_checkpoint(note, _kit_verifier(), origin=KIT_NAME)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (KIT_NAME, 8, KIT_ROOT)


def test_kit_root_is_the_rfc6962_reference_root_for_size_8() -> None:
    ref = load_vector("merkle/rfc6962-reference.json")
    leaves = b"".join(leaf_hash(bytes.fromhex(x)) for x in ref["leaf_inputs_hex"])
    tree = MerkleTree.from_leaf_hashes(leaves)
    assert tree.root(8) == KIT_ROOT == bytes.fromhex(ref["roots_by_size_hex"][8])


def test_vkey_whose_base64_contains_plus() -> None:
    # Found by the round-trip property: only the name is free of '+', the key's base64 is not.
    signer = NoteSigner("0", b"\xff" * 31 + b"\xfe")  # vkey 0+3f687740+Ab+rWlpq...
    assert signer.vkey().count("+") > 2
    assert NoteVerifier(signer.vkey()).verify(signer.sign("hello\n")) == "hello\n"


def test_text_may_contain_empty_lines() -> None:
    # signed-note: the text is separated from the signatures by the *last* empty line.
    signer = NoteSigner(KIT_NAME, KIT_SEED)
    body = "first paragraph\n\nsecond paragraph\n\n"
    assert _kit_verifier().verify(signer.sign(body)) == body


def test_repr_never_shows_the_seed() -> None:
    assert KIT_SEED.hex() not in repr(NoteSigner(KIT_NAME, KIT_SEED))


# -- tampering and wrong keys ---------------------------------------------------------------


def _retext(note: str, old: str, new: str) -> str:
    assert old in note
    return note.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("kit.example/log\n8\n", "kit.example/lag\n8\n"),  # origin
        ("\n8\n", "\n9\n"),  # size
        ("XcnaeacGWamtVZy3", "XcnaeacGWamtVZy4"),  # root
        ("=\n\n", "=\nextension\n\n"),  # an added extension line
    ],
    ids=["origin", "size", "root", "extension"],
)
def test_tampered_body_fails(old: str, new: str) -> None:
    with pytest.raises(VerificationError) as exc:
        open_checkpoint(_retext(KIT["note"], old, new), _kit_verifier())
    assert _code(exc) == "note_signature_invalid"


def test_tampered_signature_fails() -> None:
    name, b64 = SIG[len("\u2014 ") :].rstrip("\n").split(" ")
    blob = bytearray(base64.b64decode(b64))
    blob[-1] ^= 0x01
    forged = f"{BODY}\n\u2014 {name} {base64.b64encode(blob).decode()}\n"
    with pytest.raises(VerificationError) as exc:
        _kit_verifier().verify(forged)
    assert _code(exc) == "note_signature_invalid"
    short = f"{BODY}\n\u2014 {name} {base64.b64encode(blob[:40]).decode()}\n"
    with pytest.raises(VerificationError) as exc:
        _kit_verifier().verify(short)
    assert _code(exc) == "note_signature_invalid"


def test_wrong_key_is_unknown() -> None:
    other = NoteSigner(KIT_NAME, b"\x02" * 32)  # same name, other key: another key ID
    with pytest.raises(VerificationError) as exc:
        NoteVerifier(other.vkey()).verify(KIT["note"])
    assert _code(exc) == "note_unknown_key"
    renamed = NoteSigner("kit.example/other", KIT_SEED)  # same key, other name
    with pytest.raises(VerificationError) as exc:
        NoteVerifier(renamed.vkey()).verify(KIT["note"])
    assert _code(exc) == "note_unknown_key"


def test_origin_mismatch() -> None:
    with pytest.raises(VerificationError) as exc:
        open_checkpoint(KIT["note"], _kit_verifier(), origin="kit.example/elsewhere")
    assert _code(exc) == "checkpoint_origin_mismatch"


def test_cosignatures_from_other_keys_are_ignored() -> None:
    witness = NoteSigner("witness.example/w1", b"\x03" * 32)
    body = KIT["note"][: KIT["note"].rfind("\n\n") + 1]
    cosigned = KIT["note"] + witness.sign(body).split("\n\n", 1)[1]
    assert _kit_verifier().verify(cosigned) == body
    assert NoteVerifier(witness.vkey()).verify(cosigned) == body
    # An unknown line first, with a key ID colliding with ours but another name, is ignored too.
    stray = f"\u2014 kit.example/log2 {base64.b64encode(bytes(68)).decode()}\n"
    assert _kit_verifier().verify(body + "\n" + stray + KIT["note"][len(body) + 1 :]) == body


def test_a_bad_second_signature_by_the_known_key_rejects_the_note() -> None:
    sig_line = KIT["note"].split("\n\n")[1]
    name, b64 = sig_line[2:].rstrip("\n").split(" ")
    blob = bytearray(base64.b64decode(b64))
    blob[10] ^= 0xFF
    doubled = KIT["note"] + f"\u2014 {name} {base64.b64encode(blob).decode()}\n"
    with pytest.raises(VerificationError) as exc:
        _kit_verifier().verify(doubled)
    assert _code(exc) == "note_signature_invalid"


# -- malformed notes, vkeys and bodies ------------------------------------------------------


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(BODY + SIG, id="no-blank-line"),
        pytest.param(KIT["note"][:-1], id="no-trailing-newline"),
        pytest.param(BODY + "\n", id="no-signature-lines"),
        pytest.param(BODY + "\n" + SIG.replace("\u2014", "-"), id="hyphen-not-em-dash"),
        pytest.param(BODY + "\n" + SIG.replace("=\n", "!\n"), id="bad-base64"),
        pytest.param(BODY + "\n" + SIG.replace("=\n", "\n"), id="unpadded-base64"),
        pytest.param(BODY + "\n" + SIG.replace(" ", "  ", 2), id="double-space"),
        pytest.param(BODY + "\n\u2014 kit.example/log AAAA\n", id="signature-too-short"),
        pytest.param(BODY.replace("8", "8\r") + "\n" + SIG, id="carriage-return"),
        pytest.param(BODY.replace("8", "8\t") + "\n" + SIG, id="tab"),
        pytest.param(BODY.replace("8", "8\x00") + "\n" + SIG, id="nul"),
        pytest.param(BODY + "\n" + SIG + "\n", id="blank-line-after-signatures"),
        pytest.param(BODY + "\ud800\n\n" + SIG, id="lone-surrogate"),
        pytest.param(
            KIT["note"].encode("utf-8").replace(b"\xe2\x80\x94", b"\xe2\x80"), id="bad-utf8"
        ),
        pytest.param(b"\xff" + KIT["note"].encode("utf-8"), id="bad-utf8-prefix"),
        pytest.param(BODY + "\n" + SIG * (MAX_NOTE_SIGNATURES + 1), id="too-many-signatures"),
    ],
)
def test_malformed_notes(note: str | bytes) -> None:
    with pytest.raises(InvalidInput) as exc:
        _kit_verifier().verify(note)
    assert _code(exc) == "note_malformed"


@pytest.mark.parametrize("as_bytes", [False, True])
def test_oversize_note(as_bytes: bool) -> None:
    padding = "x" * MAX_NOTE_BYTES + "\n"
    note = padding + KIT["note"]
    with pytest.raises(TooLarge) as exc:
        _kit_verifier().verify(note.encode("utf-8") if as_bytes else note)
    assert _code(exc) == "note_too_large"
    # Multi-byte characters count as bytes, not characters.
    wide = "\u00e9" * (MAX_NOTE_BYTES // 2) + "\n" + KIT["note"]
    assert len(wide) <= MAX_NOTE_BYTES
    with pytest.raises(TooLarge) as exc:
        _kit_verifier().verify(wide)
    assert _code(exc) == "note_too_large"


def test_a_note_of_exactly_the_limit_is_signed_and_verified() -> None:
    signer = NoteSigner(KIT_NAME, KIT_SEED)
    overhead = len(signer.sign("x\n").encode("utf-8")) - 2
    body = "x" * (MAX_NOTE_BYTES - overhead - 1) + "\n"
    note = signer.sign(body)
    assert len(note.encode("utf-8")) == MAX_NOTE_BYTES
    assert NoteVerifier(signer.vkey()).verify(note) == body
    with pytest.raises(TooLarge) as exc:
        signer.sign("x" + body)
    assert _code(exc) == "note_too_large"


@pytest.mark.parametrize(
    "vkey",
    [
        "kit.example/log+8f365377",
        "kit.example/log+8f365377+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop+x",
        "kit.example/log+8F365377+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop",  # upper hex
        "kit.example/log+8f365378+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop",  # wrong id
        "kit.example/lag+8f365377+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop",  # wrong name
        "kit example/log+8f365377+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop",  # space
        "+8f365377+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop",  # empty name
        "kit.example/log+8f365377+Aky1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop",  # type 0x02
        "kit.example/log+8f365377+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpb",  # short key
        "kit.example/log+8f365377+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbo!",  # bad base64
    ],
)
def test_malformed_vkeys(vkey: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        NoteVerifier(vkey)
    assert _code(exc) == "vkey_malformed"


@pytest.mark.parametrize(
    ("name", "seed"),
    [
        ("", b"\x01" * 32),
        ("a+b", b"\x01" * 32),
        ("a b", b"\x01" * 32),
        ("a\u2003b", b"\x01" * 32),
        ("ok.example/log", b"\x01" * 31),
    ],
)
def test_bad_signers(name: str, seed: bytes) -> None:
    with pytest.raises(InvalidInput) as exc:
        NoteSigner(name, seed)
    assert _code(exc) == "signer_malformed"


ROOT_B64 = base64.b64encode(KIT_ROOT).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"kit.example/log\n8\n{ROOT_B64}", id="no-final-newline"),
        pytest.param("kit.example/log\n8\n", id="two-lines"),
        pytest.param(f"\n8\n{ROOT_B64}\n", id="empty-origin"),
        pytest.param(f"kit.example/log\n08\n{ROOT_B64}\n", id="leading-zero"),
        pytest.param(f"kit.example/log\n+8\n{ROOT_B64}\n", id="signed-size"),
        pytest.param(f"kit.example/log\n 8\n{ROOT_B64}\n", id="space-in-size"),
        pytest.param(f"kit.example/log\n{2**64}\n{ROOT_B64}\n", id="size-over-uint64"),
        pytest.param(f"kit.example/log\n8\n{ROOT_B64[:-4]}\n", id="short-root"),
        pytest.param(f"kit.example/log\n8\n{ROOT_B64[:-2]}h=\n", id="noncanonical-root"),
        pytest.param(f"kit.example/log\n8\n{KIT_ROOT.hex()}\n", id="hex-root"),
        pytest.param(f"kit.example/log\n8\n{ROOT_B64}\n\nextension\n", id="empty-extension"),
        pytest.param(f"kit.example/log\r\n8\n{ROOT_B64}\n", id="crlf"),
    ],
)
def test_malformed_checkpoint_bodies(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        Checkpoint.parse_body(text)
    assert _code(exc) == "checkpoint_malformed"


def test_signed_but_malformed_checkpoint_is_refused() -> None:
    signer = NoteSigner(KIT_NAME, KIT_SEED)
    note = signer.sign(f"kit.example/log\n08\n{ROOT_B64}\n")
    with pytest.raises(InvalidInput) as exc:
        open_checkpoint(note, _kit_verifier())
    assert _code(exc) == "checkpoint_malformed"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": "", "size": 1, "root": KIT_ROOT},
        {"origin": "a\nb", "size": 1, "root": KIT_ROOT},
        {"origin": "o", "size": -1, "root": KIT_ROOT},
        {"origin": "o", "size": 2**64, "root": KIT_ROOT},
        {"origin": "o", "size": True, "root": KIT_ROOT},
        {"origin": "o", "size": 1, "root": KIT_ROOT[:31]},
        {"origin": "o", "size": 1, "root": KIT_ROOT, "extensions": ("",)},
        {"origin": "o", "size": 1, "root": KIT_ROOT, "extensions": ("a\nb",)},
        {"origin": "surrogate \ud800", "size": 1, "root": KIT_ROOT},
        {"origin": "o", "size": 1, "root": KIT_ROOT, "extensions": ("surrogate \udfff",)},
    ],
)
def test_checkpoint_is_valid_once_built(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as exc:
        Checkpoint(**kwargs)
    assert _code(exc) == "checkpoint_malformed"


def test_signer_refuses_malformed_text() -> None:
    signer = NoteSigner(KIT_NAME, KIT_SEED)
    for body in ["no newline", "tab\there\n", "surrogate \ud800\n"]:
        with pytest.raises(InvalidInput) as exc:
            signer.sign(body)
        assert _code(exc) == "note_malformed"


# -- round trip -----------------------------------------------------------------------------

_line_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, codec="utf-8"), min_size=1, max_size=40
)
_key_name = st.text(
    alphabet=st.characters(min_codepoint=0x21, codec="utf-8"),
    min_size=1,
    max_size=30,
).filter(lambda s: "+" not in s and not any(c.isspace() for c in s))


@settings(max_examples=75, deadline=None)
@given(
    name=_key_name,
    seed=st.binary(min_size=32, max_size=32),
    origin=_line_text,
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_line_text, max_size=3).map(tuple),
)
def test_round_trip(
    name: str, seed: bytes, origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    checkpoint = Checkpoint(origin, size, root, extensions)
    assert Checkpoint.parse_body(checkpoint.body()) == checkpoint
    signer = NoteSigner(name, seed)
    verifier = NoteVerifier(signer.vkey())
    assert (verifier.name, verifier.key_id) == (signer.name, signer.key_id)
    note = signer.sign_checkpoint(checkpoint)
    assert open_checkpoint(note, verifier, origin=origin) == checkpoint
    assert open_checkpoint(note.encode("utf-8"), verifier) == checkpoint
    other = NoteSigner(name, bytes(b ^ 0xFF for b in seed))
    with pytest.raises(VerificationError) as exc:
        open_checkpoint(note, NoteVerifier(other.vkey()))
    assert _code(exc) == "note_unknown_key"
