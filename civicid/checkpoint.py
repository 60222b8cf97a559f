"""C2SP signed notes (signed-note@v1.0.0, Ed25519 only) and tlog checkpoints
(tlog-checkpoint@v1.0.0): how the ledger signs its tree head and how anyone checks it.

The note pieces other signature types reuse (``civicid.cosignature``): ``Ed25519NoteKey`` and
``Ed25519NoteVerifier`` (a named key of one signature type, its key ID, vkey and signature
lines), ``parse_vkey`` (a vkey of a given signature type), ``note_key_id`` and ``split_note``
(the text and each signature line as sent).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from civicid.encoding import b64_decode, b64_encode, sha256
from civicid.errors import Code, Error, InvalidInput, TooLarge, VerificationError, declare
from civicid.merkle import HASH_SIZE, MAX_TREE_SIZE

CHECKPOINT_MALFORMED = declare(
    "checkpoint_malformed", InvalidInput, "the checkpoint text is malformed"
)
NOTE_MALFORMED = declare("note_malformed", InvalidInput, "the signed note is malformed")
SIGNER_MALFORMED = declare("signer_malformed", InvalidInput, "the note signing key is malformed")
VKEY_MALFORMED = declare("vkey_malformed", InvalidInput, "the note verifier key is malformed")
CHECKPOINT_ORIGIN_MISMATCH = declare(
    "checkpoint_origin_mismatch", VerificationError, "the checkpoint is from another log"
)
NOTE_SIGNATURE_INVALID = declare(
    "note_signature_invalid", VerificationError, "the note signature does not verify"
)
NOTE_UNKNOWN_KEY = declare(
    "note_unknown_key", VerificationError, "the note carries no signature by the trusted key"
)
NOTE_TOO_LARGE = declare("note_too_large", TooLarge, "the signed note is too large")

# signed-note: verifiers MUST accept at least 16 signatures and post-quantum ones can be ~5 kB
# (~6.7 kB in base64); 16 of those plus a checkpoint body fit well inside 128 KiB.
MAX_NOTE_BYTES = 128 * 1024
# signed-note: "SHOULD apply a maximum limit to the number of signatures" (>= 16); 100 is what
# the Go reference (golang.org/x/mod/sumdb/note) allows before refusing the note.
MAX_NOTE_SIGNATURES = 100

ED25519_SEED_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
SIG_TYPE_ED25519 = b"\x01"  # signed-note "Signature types": 0x01 = Ed25519
KEY_ID_SIZE = 4

_SIG_PREFIX = "\u2014 "  # em dash, space: starts every signature line
_SIZE_LINE = re.compile(r"0|[1-9][0-9]{0,19}")  # tlog-checkpoint: decimal, no leading zeroes
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")  # signed-note: fixed-length lowercase hex


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # below U+0020, newline excepted


def _has_control(text: str) -> bool:
    """signed-note: no ASCII control characters (below U+0020) other than newline."""
    # A regular expression, not a loop over characters: every note a client accepts passes
    # here twice, and the loop cost as much as the note's Ed25519 check.
    return _CONTROL.search(text) is not None


# \s is str.isspace()'s set (Unicode white space); controls and '+' besides.
_NOT_IN_KEY_NAME = re.compile(r"[\s\x00-\x1f+]")


def valid_key_name(name: str) -> bool:
    """signed-note: non-empty, no Unicode spaces, no '+' (and, being note text, no controls)."""
    return bool(name) and _NOT_IN_KEY_NAME.search(name) is None


def note_key_id(name: str, sig_type: bytes, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || signature type || public key)[:4]: how signed-note derives an
    Ed25519 key ID ("Ed25519 signatures") and tlog-cosignature a cosigner's ("Format")."""
    return sha256(name.encode("utf-8") + b"\n" + sig_type + public_key)[:KEY_ID_SIZE]


def signature_line(name: str, key_id: bytes, signature: bytes) -> str:
    """One note signature line: ``— <name> base64(key ID || signature)`` and its newline."""
    return f"{_SIG_PREFIX}{name} {b64_encode(key_id + signature)}\n"


def _utf8(text: str, code: Code) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates cannot be UTF-8
        raise code("text is not valid UTF-8") from exc


def _b64(text: str, code: Code) -> bytes:
    """Standard base64 (C2SP notes use it), or ``code``."""
    try:
        return b64_decode(text)
    except Error as exc:
        raise code("not standard base64") from exc


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head (tlog-checkpoint "Note text"); valid once built."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin:
            raise CHECKPOINT_MALFORMED("origin must be a non-empty string")
        if "\n" in self.origin or _has_control(self.origin):
            raise CHECKPOINT_MALFORMED("origin must be one line without control characters")
        _utf8(self.origin, CHECKPOINT_MALFORMED)
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CHECKPOINT_MALFORMED("size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CHECKPOINT_MALFORMED("size must be a uint64")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise CHECKPOINT_MALFORMED(f"root must be {HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise CHECKPOINT_MALFORMED("extensions must be a tuple of lines")
        for line in self.extensions:
            # tlog-checkpoint: extension lines, if any, MUST be non-empty.
            if not isinstance(line, str) or not line or "\n" in line or _has_control(line):
                raise CHECKPOINT_MALFORMED("extension lines must be non-empty single lines")
            _utf8(line, CHECKPOINT_MALFORMED)

    def body(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in newline."""
        lines = [self.origin, str(self.size), b64_encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        """Parse note text strictly (tlog-checkpoint "Note text"); the inverse of ``body``."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise CHECKPOINT_MALFORMED("checkpoint text must end with a newline")
        if _has_control(text):
            raise CHECKPOINT_MALFORMED("checkpoint text has control characters")
        lines = text[:-1].split("\n")
        # "a sequence of at least three non-empty lines"
        if len(lines) < 3:
            raise CHECKPOINT_MALFORMED("checkpoint needs origin, size and root lines")
        origin, size_line, root_line, *extensions = lines
        if not _SIZE_LINE.fullmatch(size_line):
            raise CHECKPOINT_MALFORMED("tree size is not a decimal without leading zeroes")
        root = _b64(root_line, CHECKPOINT_MALFORMED)
        if b64_encode(root) != root_line:  # one encoding per root: no padding-bit variants
            raise CHECKPOINT_MALFORMED("root hash is not canonical base64")
        # __post_init__ checks the rest: empty origin/extension lines, uint64 size, 32-byte root.
        return cls(origin, int(size_line), root, tuple(extensions))


class Ed25519NoteKey:
    """An Ed25519 key that signs note lines under a key name: a log's (signature type 0x01,
    ``NoteSigner``) or a witness's (0x04, ``civicid.cosignature.CosignerKey``). The type fixes
    the key ID and the vkey; what is signed is the subclass's."""

    __slots__ = ("_key", "_key_id", "_name", "_public")
    SIG_TYPE: ClassVar[bytes]

    def __init__(self, name: str, seed: bytes) -> None:
        # Every note key name, a log's or a cosigner's, follows the same rules.
        if not isinstance(name, str) or not valid_key_name(name):
            raise SIGNER_MALFORMED("key name must be non-empty, no spaces or '+'")
        _utf8(name, SIGNER_MALFORMED)
        if not isinstance(seed, bytes) or len(seed) != ED25519_SEED_SIZE:
            raise SIGNER_MALFORMED(f"seed must be {ED25519_SEED_SIZE} bytes")
        self._name = name
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self._public = self._key.public_key().public_bytes_raw()
        self._key_id = note_key_id(name, self.SIG_TYPE, self._public)

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, secrets.token_bytes(ED25519_SEED_SIZE))

    def __repr__(self) -> str:  # never the seed
        return f"{type(self).__name__}({self._name!r}, key_id={self._key_id.hex()})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def seed(self) -> bytes:
        return self._key.private_bytes_raw()

    @property
    def key_id(self) -> bytes:
        return self._key_id

    def vkey(self) -> str:
        """``<name>+<hex key id>+<base64(type || public key)>`` (signed-note "Verifier keys";
        tlog-cosignature: "Public keys MAY be encoded as vkeys with signature type 0x04")."""
        return f"{self._name}+{self._key_id.hex()}+{b64_encode(self.SIG_TYPE + self._public)}"

    def _signature_line(self, message: bytes, prefix: bytes = b"") -> str:
        """The signature line over ``message``: ``prefix`` (a cosignature's timestamp), then
        the Ed25519 signature, after the key ID."""
        return signature_line(self._name, self._key_id, prefix + self._key.sign(message))


class NoteSigner(Ed25519NoteKey):
    """An Ed25519 note signing key with its key name (signed-note "Ed25519 signatures")."""

    __slots__ = ()
    SIG_TYPE = SIG_TYPE_ED25519

    def sign(self, body: str) -> str:
        """Return the signed note: ``body``, a blank line, and this key's signature line."""
        if not isinstance(body, str) or not body.endswith("\n"):
            raise NOTE_MALFORMED("note text must end with a newline")
        if _has_control(body):
            raise NOTE_MALFORMED("note text has control characters")
        note = f"{body}\n{self._signature_line(_utf8(body, NOTE_MALFORMED))}"
        if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
            raise NOTE_TOO_LARGE(f"signed note exceeds {MAX_NOTE_BYTES} bytes")
        return note

    def sign_checkpoint(self, cp: Checkpoint) -> str:
        return self.sign(cp.body())


@dataclass(frozen=True, slots=True)
class VKey:
    """A parsed verifier key (signed-note "Verifier keys") of an Ed25519-based type."""

    name: str
    key_id: bytes
    sig_type: bytes
    public_key: bytes


def parse_vkey(vkey: str, sig_type: bytes) -> VKey:
    """Parse ``<name>+<hex key id>+<base64(type || 32-byte Ed25519 key)>`` of type ``sig_type``
    (0x01 a log's key, 0x04 a cosigner's); the key ID must derive from the name and key."""
    if not isinstance(vkey, str):
        raise VKEY_MALFORMED("vkey must be a string")
    # The name has no '+', but the base64 key may: split at the first two only.
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise VKEY_MALFORMED("vkey is not name+keyid+key")
    name, key_id_hex, key_b64 = parts
    if not valid_key_name(name):
        raise VKEY_MALFORMED("vkey name must be non-empty, without spaces")
    _utf8(name, VKEY_MALFORMED)
    if not _KEY_ID_HEX.fullmatch(key_id_hex):
        raise VKEY_MALFORMED("vkey key id is not 8 lowercase hex digits")
    key = _b64(key_b64, VKEY_MALFORMED)
    if key[:1] != sig_type:
        raise VKEY_MALFORMED(f"only type 0x{sig_type.hex()} vkeys are accepted here")
    public = key[1:]
    if len(public) != 32:
        raise VKEY_MALFORMED("Ed25519 public key must be 32 bytes")
    key_id = bytes.fromhex(key_id_hex)
    # signed-note: "The key name and ID MUST match those used in the signatures"; for
    # Ed25519 the ID is derived, so a vkey whose ID does not derive from its key is refused.
    if key_id != note_key_id(name, sig_type, public):
        raise VKEY_MALFORMED("vkey key id does not match its name and key")
    return VKey(name, key_id, sig_type, public)


class Ed25519NoteVerifier:
    """A trusted Ed25519 key of one signature type, parsed from its vkey: a log's
    (``NoteVerifier``) or a witness's (``civicid.cosignature.CosignatureVerifier``)."""

    __slots__ = ("_key", "_key_id", "_name", "_public")
    SIG_TYPE: ClassVar[bytes]

    def __init__(self, vkey: str) -> None:
        parsed = parse_vkey(vkey, self.SIG_TYPE)
        try:
            self._key = Ed25519PublicKey.from_public_bytes(parsed.public_key)
        except ValueError as exc:
            raise VKEY_MALFORMED("not an Ed25519 public key") from exc
        self._public = parsed.public_key
        self._name = parsed.name
        self._key_id = parsed.key_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r}, key_id={self._key_id.hex()})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 key (tlog-policy: two vkeys of one key are duplicates)."""
        return self._public

    def _is_mine(self, name: str, blob: bytes) -> bool:
        """Whether a signature line's name and ``key ID || signature`` claim this key
        (signed-note: "compute the expected name and key ID, and ignore any signature lines
        that don't match")."""
        return name == self._name and blob[:KEY_ID_SIZE] == self._key_id


class NoteVerifier(Ed25519NoteVerifier):
    """A trusted Ed25519 verifier key, parsed from its vkey string."""

    __slots__ = ()
    SIG_TYPE = SIG_TYPE_ED25519

    def verify(self, note: str | bytes) -> str:
        """Verify ``note`` against this key and return its text (the body).

        Steps (signed-note "Format" and "Signatures"):
        1. bound the size; 2. UTF-8, no control characters, final newline;
        3. split the text from the signatures at the last blank line;
        4. parse every signature line; ignore other keys' lines;
        5. every line by this key (name and key ID) must verify, and there must be one.
        """
        text, signature_lines = split_note(note)
        message = text.encode("utf-8")
        matched = 0
        for name, blob, _ in signature_lines:
            if not self._is_mine(name, blob):
                continue  # "MUST ignore signatures from unknown keys"
            matched += 1
            signature = blob[KEY_ID_SIZE:]
            if len(signature) != ED25519_SIGNATURE_SIZE:
                raise NOTE_SIGNATURE_INVALID("Ed25519 signature size")
            try:
                self._key.verify(signature, message)
            except InvalidSignature as exc:
                # "If a signature from a known key fails to verify, clients SHOULD reject the
                # whole note."
                raise NOTE_SIGNATURE_INVALID("note signature fails") from exc
        if not matched:
            raise NOTE_UNKNOWN_KEY(f"no signature by {self._name}")
        return text


def split_note(note: str | bytes) -> tuple[str, list[tuple[str, bytes, str]]]:
    """Steps 1-4 of ``NoteVerifier.verify``: the text and, per signature line, its key name,
    its decoded ``key ID || signature`` and the line as sent (with its newline)."""
    if not isinstance(note, str | bytes):
        raise NOTE_MALFORMED("note must be text")
    if len(note) > MAX_NOTE_BYTES:  # chars <= bytes, so this is a cheap early bound
        raise NOTE_TOO_LARGE(f"note exceeds {MAX_NOTE_BYTES} bytes")
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NOTE_MALFORMED("note is not valid UTF-8") from exc
    elif len(_utf8(note, NOTE_MALFORMED)) > MAX_NOTE_BYTES:
        raise NOTE_TOO_LARGE(f"note exceeds {MAX_NOTE_BYTES} bytes")
    if _has_control(note):
        raise NOTE_MALFORMED("note has control characters")
    if not note.endswith("\n"):
        raise NOTE_MALFORMED("note must end with a newline")
    # "the text is separated from the signatures by the last empty line in the note"
    split = note.rfind("\n\n")
    if split < 0:
        raise NOTE_MALFORMED("note has no blank line before its signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    if not signatures:
        raise NOTE_MALFORMED("note has no signature lines")
    lines = signatures[:-1].split("\n")
    if len(lines) > MAX_NOTE_SIGNATURES:
        raise NOTE_MALFORMED(f"more than {MAX_NOTE_SIGNATURES} signatures")
    parsed: list[tuple[str, bytes, str]] = []
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise NOTE_MALFORMED("signature line must start with an em dash")
        name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or not valid_key_name(name):
            raise NOTE_MALFORMED("signature line has a bad key name")
        blob = _b64(b64, NOTE_MALFORMED)
        # "the base64 encoding of 4+n bytes": a key ID and a non-empty signature
        if len(blob) <= KEY_ID_SIZE:
            raise NOTE_MALFORMED("signature is too short")
        parsed.append((name, blob, line + "\n"))
    return text, parsed


def open_checkpoint(
    note: str | bytes, verifier: NoteVerifier, *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and parse it; with ``origin``, also require that log identity."""
    checkpoint = Checkpoint.parse_body(verifier.verify(note))
    if origin is not None and checkpoint.origin != origin:
        raise CHECKPOINT_ORIGIN_MISMATCH(
            f"checkpoint is from {checkpoint.origin!r}, expected {origin!r}",
        )
    return checkpoint
