"""The citizen's wallet: keys and credentials in an encrypted local store, and a Textual app."""
