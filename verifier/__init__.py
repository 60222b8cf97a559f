"""The service desk's verifier: policies, OpenID4VP requests, presentation checks."""
