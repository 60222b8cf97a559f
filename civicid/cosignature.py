"""C2SP tlog-cosignature@v1.0.1 (``cosignature/v1``): a witness's timestamped Ed25519
statement that a checkpoint is the largest consistent tree head it has seen for that log.

API (the note format itself is ``civicid.checkpoint``'s):

- ``CosignerKey(name, seed)`` / ``CosignerKey.generate(name)``: a witness's signing key;
  ``.vkey()`` its verifier key (signature type 0x04); ``.cosign(checkpoint, timestamp)`` the
  signature line (``— <name> base64(key ID || u64 timestamp || signature)`` and a newline).
- ``CosignatureVerifier(vkey)``: a trusted cosigner; ``.matches(line)`` says whether a line is
  this cosigner's (name and key ID); ``.verify_line(checkpoint, line, now=...)`` returns the
  cosignature's timestamp or raises (``cosignature_invalid``, ``cosignature_from_future``).
- ``split_cosigned(note, log_name=...)``: a cosigned note as its checkpoint text, the log's
  signature lines and every other (cosignature) line; ``.log_note()`` is the plain note.
- ``attach_cosignatures(note, lines)``: the note with the new lines appended (once each).
- ``verify_cosignatures(note, cosigners, now=...)``: every trusted cosigner that cosigned the
  note, once each with its newest timestamp; lines by unknown keys are ignored, a line by a
  trusted key that does not verify refuses the note (signed-note: "clients SHOULD reject").
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature

from civicid.checkpoint import (
    ED25519_SIGNATURE_SIZE,
    KEY_ID_SIZE,
    MAX_NOTE_BYTES,
    MAX_NOTE_SIGNATURES,
    NOTE_MALFORMED,
    NOTE_TOO_LARGE,
    NOTE_UNKNOWN_KEY,
    Checkpoint,
    Ed25519NoteKey,
    Ed25519NoteVerifier,
    split_note,
)
from civicid.errors import InvalidInput, VerificationError, declare

COSIGNATURE_INVALID = declare(
    "cosignature_invalid", VerificationError, "a witness cosignature does not verify"
)
COSIGNATURE_FROM_FUTURE = declare(
    "cosignature_from_future", VerificationError, "a witness cosignature is dated in the future"
)
COSIGNATURE_TIMESTAMP_INVALID = declare(
    "cosignature_timestamp_invalid", InvalidInput, "a cosignature timestamp is out of range"
)

SIG_TYPE_COSIGNATURE_V1 = b"\x04"  # tlog-cosignature "Format": key ID algorithm byte 0x04
COSIGNATURE_V1_HEADER = "cosignature/v1"  # "Signed message": the domain-separation line
# "Format": the timestamp "MUST NOT exceed 2^63 - 1" (a u64 on the wire).
MAX_COSIGNATURE_TIMESTAMP = 2**63 - 1
TIMESTAMP_SIZE = 8
TIMESTAMPED_SIGNATURE_SIZE = TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE  # "a 72-byte structure"
# "verifiers MAY reject cosignatures with timestamps in the future": clocks of independent
# witnesses drift, so a few minutes ahead is tolerated and anything further is refused.
MAX_FUTURE_SKEW_SECONDS = 300


def cosigned_message(body: str, timestamp: int) -> bytes:
    """``cosignature/v1\\n`` ``time <timestamp>\\n`` then the checkpoint text ("Signed message")."""
    _check_timestamp(timestamp)
    return f"{COSIGNATURE_V1_HEADER}\ntime {timestamp}\n{body}".encode()


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise COSIGNATURE_TIMESTAMP_INVALID("timestamp must be an integer")
    if not 0 <= timestamp <= MAX_COSIGNATURE_TIMESTAMP:
        raise COSIGNATURE_TIMESTAMP_INVALID("timestamp must be within 0 and 2^63 - 1")


def _body(checkpoint: Checkpoint | str) -> str:
    """The note text a cosignature covers; a string is parsed so only checkpoints are signed."""
    if isinstance(checkpoint, Checkpoint):
        return checkpoint.body()
    return Checkpoint.parse_body(checkpoint).body()


class CosignerKey(Ed25519NoteKey):
    """A witness's Ed25519 cosigning key with its name (the name SHOULD be a schema-less URL)."""

    __slots__ = ()
    SIG_TYPE = SIG_TYPE_COSIGNATURE_V1

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.vkey())

    def cosign(self, checkpoint: Checkpoint | str, timestamp: int) -> str:
        """The cosignature line over ``checkpoint`` at ``timestamp`` (POSIX seconds)."""
        message = cosigned_message(_body(checkpoint), timestamp)
        return self._signature_line(message, prefix=struct.pack(">Q", timestamp))


class CosignatureVerifier(Ed25519NoteVerifier):
    """A trusted cosigner, from its vkey (signature type 0x04)."""

    __slots__ = ("_vkey",)
    SIG_TYPE = SIG_TYPE_COSIGNATURE_V1

    def __init__(self, vkey: str) -> None:
        super().__init__(vkey)
        self._vkey = vkey

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CosignatureVerifier):
            return NotImplemented
        return (self._name, self._public) == (other._name, other._public)

    def __hash__(self) -> int:
        return hash((self._name, self._public))

    @property
    def vkey(self) -> str:
        return self._vkey

    def matches(self, line: str) -> bool:
        """Whether ``line`` (one signature line) claims to be by this cosigner."""
        name, blob = _one_line(line)
        return self._is_mine(name, blob)

    def verify_line(
        self,
        checkpoint: Checkpoint | str,
        line: str,
        *,
        now: int | None = None,
        max_future_skew: int = MAX_FUTURE_SKEW_SECONDS,
    ) -> int:
        """Verify one cosignature line by this cosigner over ``checkpoint``; its timestamp.

        With ``now``, a timestamp more than ``max_future_skew`` seconds ahead is refused.
        """
        name, blob = _one_line(line)
        if not self._is_mine(name, blob):
            raise NOTE_UNKNOWN_KEY(f"the line is not by cosigner {self._name}")
        return self._verify(_body(checkpoint), blob, now, max_future_skew)

    def _verify(self, body: str, blob: bytes, now: int | None, max_future_skew: int) -> int:
        signed = blob[KEY_ID_SIZE:]
        if len(signed) != TIMESTAMPED_SIGNATURE_SIZE:
            raise COSIGNATURE_INVALID("a cosignature/v1 signature is 72 bytes")
        (timestamp,) = struct.unpack(">Q", signed[:TIMESTAMP_SIZE])
        if timestamp > MAX_COSIGNATURE_TIMESTAMP:
            raise COSIGNATURE_INVALID("cosignature timestamp exceeds 2^63 - 1")
        try:
            self._key.verify(signed[TIMESTAMP_SIZE:], cosigned_message(body, timestamp))
        except InvalidSignature as exc:
            raise COSIGNATURE_INVALID(f"cosignature by {self._name} fails") from exc
        if now is not None and timestamp > now + max_future_skew:
            raise COSIGNATURE_FROM_FUTURE(
                f"cosignature by {self._name} is dated {timestamp - now} s ahead",
                witness=self._name,
                timestamp=timestamp,
            )
        return int(timestamp)


def _parse_lines(lines: str) -> list[tuple[str, bytes, str]]:
    """Signature lines (each ending in a newline) parsed as a note's, with the note rules."""
    if not isinstance(lines, str) or not lines.endswith("\n"):
        raise NOTE_MALFORMED("signature lines must end with a newline")
    # A placeholder text makes them a note, so the one note parser reads them.
    _, parsed = split_note("-\n\n" + lines)
    return parsed


def _one_line(line: str) -> tuple[str, bytes]:
    parsed = _parse_lines(line)
    if len(parsed) != 1:
        raise NOTE_MALFORMED("expected exactly one signature line")
    return parsed[0][0], parsed[0][1]


@dataclass(frozen=True, slots=True)
class CosignedNote:
    """A checkpoint note split into its text, the log's signature lines and the others."""

    text: str
    log_lines: tuple[str, ...]
    cosignature_lines: tuple[str, ...]

    def log_note(self) -> str:
        """The note with the log's signatures only (what ``NoteVerifier`` checks)."""
        return self.text + "\n" + "".join(self.log_lines)

    def note(self) -> str:
        """The whole note again: the log's lines first, then the cosignatures."""
        return self.log_note() + "".join(self.cosignature_lines)


def split_cosigned(note: str | bytes, *, log_name: str | None = None) -> CosignedNote:
    """Split ``note``: lines by ``log_name`` (default the origin line, which tlog-checkpoint
    says the log's key name SHOULD match) are the log's, every other line is a cosignature
    line. A note with no line by the log is ``note_unknown_key``."""
    text, parsed = split_note(note)
    name = log_name if log_name is not None else text.split("\n", 1)[0]
    log_lines = tuple(line for key, _, line in parsed if key == name)
    if not log_lines:
        raise NOTE_UNKNOWN_KEY(f"no signature by the log {name}")
    others = tuple(line for key, _, line in parsed if key != name)
    return CosignedNote(text, log_lines, others)


def attach_cosignatures(note: str, lines: Iterable[str]) -> str:
    """``note`` with each new signature line appended once (a line already there is skipped).

    The result stays within the note limits (``MAX_NOTE_SIGNATURES``, ``MAX_NOTE_BYTES``).
    """
    _, parsed = split_note(note)
    present = {line for _, _, line in parsed}
    added: list[str] = []
    for chunk in lines:
        for _, _, line in _parse_lines(chunk):
            if line not in present:
                present.add(line)
                added.append(line)
    if len(parsed) + len(added) > MAX_NOTE_SIGNATURES:
        raise NOTE_MALFORMED(f"more than {MAX_NOTE_SIGNATURES} signatures")
    result = note + "".join(added)
    if len(result.encode("utf-8")) > MAX_NOTE_BYTES:
        raise NOTE_TOO_LARGE(f"signed note exceeds {MAX_NOTE_BYTES} bytes")
    return result


@dataclass(frozen=True, slots=True)
class VerifiedCosignature:
    """A trusted cosigner that cosigned the note, and when (its newest line)."""

    cosigner: CosignatureVerifier
    timestamp: int


def verify_cosignatures(
    note: str | bytes,
    cosigners: Iterable[CosignatureVerifier],
    *,
    now: int | None = None,
    max_future_skew: int = MAX_FUTURE_SKEW_SECONDS,
) -> tuple[VerifiedCosignature, ...]:
    """Every trusted cosigner with a valid cosignature on ``note``, once each.

    Steps: 1. split the note (signed-note limits); 2. the text must be a checkpoint;
    3. ignore lines by keys not in ``cosigners`` (tlog-witness: "MUST ignore any cosignatures
    from unknown keys"), including the log's own; 4. every line by a trusted cosigner must
    verify and not be dated beyond the skew, else the note is refused; 5. a cosigner with
    several lines counts once, with its newest timestamp. The log's signature is not checked
    here: that is ``NoteVerifier``'s.
    """
    text, parsed = split_note(note)
    body = Checkpoint.parse_body(text).body()
    trusted = list(dict.fromkeys(cosigners))
    newest: dict[CosignatureVerifier, int] = {}
    for name, blob, _ in parsed:
        for cosigner in trusted:
            if cosigner._is_mine(name, blob):
                timestamp = cosigner._verify(body, blob, now, max_future_skew)
                newest[cosigner] = max(timestamp, newest.get(cosigner, timestamp))
    return tuple(VerifiedCosignature(c, t) for c, t in newest.items())
