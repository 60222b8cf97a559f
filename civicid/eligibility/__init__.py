"""Whether a presentation satisfies a policy: the numbered checks (``checks``) and the
decision they make (``decision``), one copy for every part that judges a presentation, a
desk checking eligibility or an agency issuing by rule (DESIGN.md: the issuer runs the same
checks as the verifier, not a copy)."""
