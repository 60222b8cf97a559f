"""Small widgets the wallet's screens share: cards, claim lists, the passphrase hint."""
