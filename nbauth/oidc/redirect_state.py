"""Whether a redirect back from the identity provider belongs to this sign-in (its ``state``).

Every receiver of an authorization redirect (the loopback listener, a pasted URL, the Jupyter
server's callback page) checks ``state`` *before* anything is marked done (DESIGN invariant 11):
a request without this sign-in's ``state`` — a stale tab, a local process probing the port, a
forged link — is answered with an error and the sign-in keeps waiting for the real redirect.
Exactly one ``state`` parameter is accepted (parsers disagree on which of several wins), and the
comparison takes constant time.

Example::

    state_matches("http://127.0.0.1:5000/callback?code=c&state=s1", "s1")  # True
    state_matches("http://127.0.0.1:5000/callback?state=s1&state=s2", "s2")  # False
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

__all__ = ["WRONG_STATE_MESSAGE", "redirect_state", "state_matches"]

#: What a page (or an error) says about a redirect that is not this sign-in's.
WRONG_STATE_MESSAGE = (
    "This redirect does not belong to the sign-in in progress (its state is missing or "
    "different: an older tab, another sign-in, or a forged link). The sign-in is still waiting."
)


def redirect_state(url: str) -> str | None:
    """The one ``state`` parameter of ``url``'s query; ``None`` if absent, empty or repeated."""
    try:
        values = parse_qs(urlsplit(url).query, strict_parsing=False).get("state", [])
    except ValueError:
        return None
    return values[0] if len(values) == 1 and values[0] else None


def state_matches(url: str, state: str) -> bool:
    """Whether ``url`` carries exactly ``state`` (compared in constant time)."""
    found = redirect_state(url)
    return found is not None and hmac.compare_digest(found.encode(), state.encode())
