"""The sealed file's header, checked before anything is decrypted: files that authenticate
(their header is the GCM associated data, so they were sealed with the passphrase) but whose
header is not one we write are refused by the check made for each member, and a header up to
its size limit is read. Also the passphrase hint's thresholds."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from civicid.encoding import b64url_decode
from civicid.errors import Error
from wallet.errors import WALLET_STORE_CORRUPT
from wallet.holder.vault import (
    MAX_HEADER_BYTES,
    MAX_ITERATIONS,
    MAX_MEMORY_KIB,
    MAX_PARALLELISM,
    MIN_ITERATIONS,
    MIN_MEMORY_KIB,
    MINIMUM_KDF,
    SALT_BYTES,
    KdfParams,
    Sealed,
    SealKey,
    check_strength,
    seal,
    strength_hint,
    unseal,
)

PASSPHRASE = "correct horse battery staple"
KIND = "wallet"
DOCUMENT = b'{"credentials":[]}'


@pytest.fixture(scope="module")
def key() -> SealKey:
    return SealKey.derive(PASSPHRASE, MINIMUM_KDF)


def header(key: SealKey, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(seal(b"", key, KIND).partition(b"\n")[0])
    for name, value in changes.items():
        if name in MINIMUM_KDF.to_json() or name == "salt":
            body["kdf"][name] = value
        else:
            body[name] = value
    return body


def sealed_with(key: SealKey, body: dict[str, Any] | bytes) -> bytes:
    """A file that authenticates under ``key`` whatever its header says."""
    line = body if isinstance(body, bytes) else json.dumps(body).encode()
    nonce = b64url_decode(json.loads(line)["nonce"])
    return line + b"\n" + AESGCM(key.key).encrypt(nonce, DOCUMENT, line)


def test_a_crafted_file_with_our_header_opens(key: SealKey) -> None:
    document, _ = unseal(sealed_with(key, header(key)), PASSPHRASE, kind=KIND)
    assert document == DOCUMENT


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"format": "another-wallet"}, "not a CivicID wallet file"),
        ({"cipher": "A128GCM"}, "unknown cipher"),
        ({"name": "scrypt"}, "unknown cipher"),
        ({"kind": "backup"}, "not a 'wallet' file"),
        ({"parallelism": 0}, "out of bounds"),
        ({"parallelism": 9}, "out of bounds"),
        ({"iterations": 1}, "out of bounds"),
        ({"memory_kib": 1024}, "out of bounds"),
    ],
)
def test_a_header_we_do_not_write_is_refused(
    key: SealKey, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(Error) as info:
        unseal(sealed_with(key, header(key, **changes)), PASSPHRASE, kind=KIND)
    assert info.value.code == "wallet_store_corrupt"
    assert message in info.value.message


@pytest.mark.parametrize(
    "name, written",
    [
        ("iterations", "1e400"),  # json reads infinity: int() of it raised OverflowError
        ("memory_kib", "1e400"),
        ("iterations", "NaN"),
        ("iterations", "true"),  # a bool is an int to Python: memory 1 by another name
        ("memory_kib", '"65536"'),
        ("iterations", "3.0"),
    ],
)
def test_a_parameter_that_is_no_json_integer_is_damage(
    key: SealKey, name: str, written: str
) -> None:
    body = header(key)
    line = json.dumps(body).encode()
    value = json.dumps(body["kdf"][name]).encode()
    member = f'"{name}": '.encode()
    crafted = line.replace(member + value, member + written.encode(), 1)
    assert crafted != line
    with pytest.raises(Error) as info:
        unseal(sealed_with(key, crafted), PASSPHRASE, kind=KIND)
    assert info.value.code == "wallet_store_corrupt"


def test_a_member_named_twice_in_the_header_is_damage(key: SealKey) -> None:
    line = json.dumps(header(key)).encode()
    crafted = line[:-1] + b', "format": "civicid-wallet-other"}'
    with pytest.raises(Error) as info:
        unseal(sealed_with(key, crafted), PASSPHRASE, kind=KIND)
    assert info.value.code == "wallet_store_corrupt"


def test_a_header_up_to_its_limit_is_read(key: SealKey) -> None:
    line = json.dumps(header(key)).encode()
    padded = line[:-1] + b" " * (MAX_HEADER_BYTES - len(line)) + b"}"
    assert len(padded) == MAX_HEADER_BYTES
    document, _ = unseal(sealed_with(key, padded), PASSPHRASE, kind=KIND)
    assert document == DOCUMENT
    longer = line[:-1] + b" " * (MAX_HEADER_BYTES + 1 - len(line)) + b"}"
    with pytest.raises(Error) as info:
        unseal(sealed_with(key, longer), PASSPHRASE, kind=KIND)
    assert info.value.code == "wallet_store_corrupt"


@pytest.mark.parametrize(
    "passphrase, hint",
    [
        ("abcdefghijklmno", "fair"),  # 15 letters, one word, one kind
        ("abcdefghijklm!1", "strong"),  # 15, three kinds (a symbol counts as one)
        ("abcdefghijkLM1", "strong"),  # 14, three kinds: the threshold
        ("abcdefghijkL1", "fair"),  # 13, three kinds: too short for variety to count
        ("aaa bbb ccc ddd", "strong"),  # four words
        ("aaa bbb ccc", "fair"),
        ("abcdefghijklmnopqrst", "strong"),  # 20 characters
        ("abcdefghijklmnopqrs", "fair"),
        ("abcdefghijkl12", "fair"),  # 14, two kinds: letters and digits are not a third
        ("abcdefghij", "fair"),  # exactly the minimum length
        ("abcdefghi", "too short"),
    ],
)
def test_the_passphrase_hint_at_its_thresholds(passphrase: str, hint: str) -> None:
    assert strength_hint(passphrase).split(":")[0] == hint


@pytest.mark.parametrize("name", ["memory_kib", "iterations", "parallelism"])
@pytest.mark.parametrize("written", ["true", "2.0", '"4"'])
def test_each_parameter_must_be_a_whole_number_and_is_said_so(
    key: SealKey, name: str, written: str
) -> None:
    body = header(key)
    line = json.dumps(body).encode()
    member = f'"{name}": {json.dumps(body["kdf"][name])}'.encode()
    crafted = line.replace(member, f'"{name}": {written}'.encode(), 1)
    assert crafted != line
    with pytest.raises(Error) as info:
        unseal(sealed_with(key, crafted), PASSPHRASE, kind=KIND)
    assert info.value.code == "wallet_store_corrupt"
    assert info.value.message == "a key derivation parameter is not a whole number"


@pytest.mark.parametrize(
    "params, within",
    [
        (KdfParams(MIN_MEMORY_KIB, MIN_ITERATIONS, 1), True),
        (KdfParams(MAX_MEMORY_KIB, MAX_ITERATIONS, MAX_PARALLELISM), True),
        (KdfParams(MIN_MEMORY_KIB - 1, MIN_ITERATIONS, 1), False),
        (KdfParams(MIN_MEMORY_KIB, MIN_ITERATIONS - 1, 1), False),
        (KdfParams(MIN_MEMORY_KIB, MIN_ITERATIONS, 0), False),
        (KdfParams(MAX_MEMORY_KIB + 1, MAX_ITERATIONS, MAX_PARALLELISM), False),
        (KdfParams(MAX_MEMORY_KIB, MAX_ITERATIONS + 1, MAX_PARALLELISM), False),
        (KdfParams(MAX_MEMORY_KIB, MAX_ITERATIONS, MAX_PARALLELISM + 1), False),
    ],
    ids=[
        "minimum",
        "maximum",
        "memory-",
        "iterations-",
        "lanes-",
        "memory+",
        "iterations+",
        "lanes+",
    ],
)
def test_key_derivation_parameters_at_their_bounds(params: KdfParams, within: bool) -> None:
    """Checked before any key is derived: a file may ask for up to 1 GiB and 16 passes."""
    if within:
        params.check(WALLET_STORE_CORRUPT)
        return
    with pytest.raises(Error) as info:
        params.check(WALLET_STORE_CORRUPT)
    assert info.value.code == "wallet_store_corrupt"
    assert "out of bounds" in info.value.message


def test_the_header_read_is_the_header_written(key: SealKey) -> None:
    data = seal(DOCUMENT, key, KIND)
    sealed = Sealed.parse(data, KIND, WALLET_STORE_CORRUPT)
    assert sealed.header.kind == KIND
    assert sealed.header.kdf == key.kdf
    assert (sealed.header.salt, sealed.header.check) == (key.salt, key.check)
    assert sealed.header.to_bytes() == sealed.header_bytes


def test_the_key_is_argon2id_as_written_down() -> None:
    """The derivation in the module's words, computed here independently (and its value, so
    a file sealed by an earlier release keeps opening): Argon2id of the NFC passphrase, 64
    bytes; the first 32 the AES key, SHA-256 of a label and the other 32 the check value."""
    salt = bytes(range(SALT_BYTES))
    key = SealKey.derive("correct horse battery staple", MINIMUM_KDF, salt)
    out = hash_secret_raw(
        b"correct horse battery staple",
        salt,
        time_cost=MIN_ITERATIONS,
        memory_cost=MIN_MEMORY_KIB,
        parallelism=1,
        hash_len=64,
        type=Type.ID,
    )
    assert key.key == out[:32]
    assert key.check == hashlib.sha256(b"civicid-wallet check\x00" + out[32:]).digest()[:16]
    assert key.key.hex() == "c948a1912c7c128e9156e3a94722a5366e6c62f33a082f77f46eb57bc1bad034"
    assert key.check.hex() == "b49e696fe624474cf9bccd4fe7de9fe2"
    decomposed = SealKey.derive("cafe\u0301 au lait, s\u2019il vous pla\u00eet", MINIMUM_KDF, salt)
    composed = SealKey.derive("caf\u00e9 au lait, s\u2019il vous pla\u00eet", MINIMUM_KDF, salt)
    assert decomposed == composed


def test_an_empty_document_is_the_gcm_tag_alone_and_opens(key: SealKey) -> None:
    data = seal(b"", key, KIND)
    assert len(data.partition(b"\n")[2]) == 16
    assert unseal(data, PASSPHRASE, kind=KIND)[0] == b""
    with pytest.raises(Error) as info:
        unseal(data[:-1], PASSPHRASE, kind=KIND)
    assert info.value.code == "wallet_store_corrupt"
    assert info.value.message == "the file is truncated"


@pytest.mark.parametrize("length, weak", [(9, True), (10, False)])
def test_a_passphrase_of_the_minimum_length_is_enough(length: int, weak: bool) -> None:
    passphrase = "e\u0301" * length  # NFC: one character each
    if not weak:
        check_strength(passphrase)
        return
    with pytest.raises(Error) as info:
        check_strength(passphrase)
    assert info.value.code == "wallet_passphrase_weak"


def test_a_wrong_passphrase_is_told_apart_from_damage(key: SealKey) -> None:
    with pytest.raises(Error) as info:
        unseal(seal(DOCUMENT, key, KIND), "not the passphrase at all", kind=KIND)
    assert info.value.code == "wallet_passphrase_wrong"
