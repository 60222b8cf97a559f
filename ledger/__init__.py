"""The CivicID ledger: a permissioned, append-only RFC 9162 Merkle log of signed transactions."""
