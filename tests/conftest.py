"""The test tiers, and where their fixtures come from.

* ``tests/unit``: nbauth's parts with fakes; no network, no sandbox. Imports neither moto nor
  ``nbauth.sandbox`` (``tests/test_repository.py`` checks it).
* ``tests/sandbox``: the sandbox itself (``nbauth.sandbox``), seen through boto3, Authlib and
  ``requests``.
* ``tests/integration``: nbauth over HTTP against the sandbox and the test IdPs.
* ``tests/notebook``: the notebook layer (IPython, magics, widget) against the sandbox.
* ``tests/browser``: JupyterLab in Chromium.
* ``tests/peers``: the independent IdPs: panva's oidc-provider (node) and Keycloak 26 (Java
  21+, from Maven Central, cached outside the repository).
* ``tests/hub``: a real JupyterHub (configurable-http-proxy from npm, oauthenticator against the
  sandbox IdP and against Keycloak) whose single-user server's kernel signs in through the hub.
* ``tests/test_*.py``: the CLI, repository invariants.

This root conftest defines nothing, so that nothing heavy loads for every tier. A tier's own
``conftest.py`` loads the fixture modules it needs from ``tests/support/``:
``sandbox_fixtures`` (one shared sandbox, reset after every test that used it),
``peer_fixtures`` and ``keycloak_fixtures``. Helpers live in ``tests/support/`` too.
"""
