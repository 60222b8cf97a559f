"""The holder domain: keys, encrypted store, OpenID4VCI/VP clients; no Textual here."""
