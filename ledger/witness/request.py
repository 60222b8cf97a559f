"""The ``add-checkpoint`` request body (tlog-witness v1.0.0 "add-checkpoint"), parsed strictly:
an ``old N`` line, at most 63 proof lines, an empty line, then a signed checkpoint note."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from civicid.checkpoint import MAX_NOTE_BYTES
from civicid.encoding import b64_decode, b64_encode
from civicid.merkle import HASH_SIZE
from ledger.witness.errors import (
    WITNESS_OLD_MISSING,
    WITNESS_PROOF_TOO_LONG,
    WITNESS_REQUEST_MALFORMED,
    WITNESS_REQUEST_TOO_LARGE,
)

# "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES: Final = 63
# An `old` line (at most 25 bytes), 63 base64 hashes of 45 bytes, the empty line, and the
# largest note we read (civicid.checkpoint.MAX_NOTE_BYTES): nothing valid is longer.
MAX_REQUEST_BYTES: Final = MAX_NOTE_BYTES + 4096
_OLD_LINE: Final = re.compile(r"old (0|[1-9][0-9]{0,19})")  # decimal, no leading zeroes


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def to_body(self) -> bytes:
        """The request body a client sends (the inverse of ``parse``)."""
        lines = [f"old {self.old_size}", *(b64_encode(h) for h in self.proof), ""]
        return ("".join(line + "\n" for line in lines) + self.note).encode("utf-8")

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        if len(body) > MAX_REQUEST_BYTES:
            raise WITNESS_REQUEST_TOO_LARGE(f"the body is over {MAX_REQUEST_BYTES} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WITNESS_REQUEST_MALFORMED("the body is not UTF-8") from exc
        head, sep, note = text.partition("\n\n")
        first = head.split("\n", 1)[0]
        match = _OLD_LINE.fullmatch(first)
        if match is None:
            raise WITNESS_OLD_MISSING("the first line must be `old <size>`")
        if not sep:
            raise WITNESS_REQUEST_MALFORMED("no empty line before the checkpoint")
        proof_lines = head.split("\n")[1:]
        if len(proof_lines) > MAX_PROOF_LINES:
            raise WITNESS_PROOF_TOO_LONG(f"more than {MAX_PROOF_LINES} proof lines")
        proof = []
        for line in proof_lines:
            value = b64_decode(line, code=WITNESS_REQUEST_MALFORMED)
            if len(value) != HASH_SIZE or b64_encode(value) != line:
                raise WITNESS_REQUEST_MALFORMED("a proof line is not one base64 hash")
            proof.append(value)
        old_size = int(match.group(1))
        # "The proof MUST be empty if the old size is zero."
        if old_size == 0 and proof:
            raise WITNESS_REQUEST_MALFORMED("a proof from size 0 must be empty")
        return cls(old_size, tuple(proof), note)
