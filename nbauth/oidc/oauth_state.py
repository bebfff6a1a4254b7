"""The OAuth ``state`` value, in Amplify's form, carrying an optional custom state.

``state`` is ``<random>`` or ``<random>-<hex of the custom state>`` (Amplify's
``customOAuthState``): the random part (192 bits, no ``-`` in it) protects against forged and
stale redirects (RFC 6749 §10.12); the hex part brings the caller's custom state back.

Example::

    state = encode_state("/reports?tab=2")
    decode_custom_state(state)  # '/reports?tab=2'
"""

from __future__ import annotations

import secrets

__all__ = ["decode_custom_state", "encode_state"]


def encode_state(custom_state: str | None) -> str:
    """Amplify's form: ``<random>-<hex of the custom state>``."""
    random_part = secrets.token_urlsafe(24).replace("-", "_")
    if custom_state is None:
        return random_part
    return f"{random_part}-{custom_state.encode().hex()}"


def decode_custom_state(state: str) -> str | None:
    """The custom state carried in ``state``, if any."""
    if "-" not in state:
        return None
    try:
        return bytes.fromhex(state.split("-", 1)[1]).decode()
    except ValueError:
        return None
