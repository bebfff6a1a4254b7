"""Glue to other libraries: ``requests`` auth and a pre-wired requests-oauthlib session."""
