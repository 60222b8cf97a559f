"""The ledger's public transparency page: who may do what, what they did, in counts; the
latest checkpoint; and a form that checks a record's proofs in the reader's own browser."""
