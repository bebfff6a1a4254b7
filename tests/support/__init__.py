"""Helpers for the tests, named by what they are; no fixtures are defined on import.

* Plain helpers (any tier): ``fakes`` (a hand-driven clock, a fixed random source, threads
  started at once), ``amplify_config``, ``hub_recorder``, ``source_checks`` (the AST checks
  behind ``tests/test_repository.py``).
* Helpers that talk to the sandbox or mint its tokens (sandbox-using tiers only):
  ``aws_env``, ``aws_clients``, ``user_pool_tokens``, ``oidc_issuer``, ``idp_client``,
  ``notebook_shell``.
* Fixture modules, loaded by a tier's ``conftest.py`` with a star import (pytest allows
  ``pytest_plugins`` only in the root conftest, which would make them visible to every tier):
  ``sandbox_fixtures`` (integration, sandbox, notebook, browser) and ``peer_fixtures``
  (integration, peers).
* ``import_guard``: a pytest plugin (``-p tests.support.import_guard``) that reports whether
  collecting imported moto or ``nbauth.sandbox``; ``tests/unit`` must import neither.
"""
