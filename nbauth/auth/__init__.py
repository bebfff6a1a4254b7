"""The ``Auth`` facade: Amplify's API over composed sign-in services, one state machine and one
credentials pipeline. See ``docs/architecture.md`` for the layers and the state table.

Example::

    from nbauth.auth import Auth
    auth = Auth("amplify_outputs.json")
    auth.status().state
"""

from __future__ import annotations

from .facade import Auth

__all__ = ["Auth"]
