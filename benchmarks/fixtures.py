"""The local sandbox, a hermetic environment, and a federated default ``Auth``.

Everything runs against ``nbauth.sandbox`` on 127.0.0.1. The sandbox's fake
admin keys are removed from the environment once it is up, so the only AWS
calls measured are nbauth's own unsigned identity-pool calls. Shared AWS
config files and the EC2 metadata service are switched off so that nothing
reaches outside the machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import nbauth
from nbauth.core.logins import LoginsProvider

__all__ = ["ClearableStorage", "Federated", "federated_default_auth", "sandbox_environment"]

#: Keys the sandbox puts in ``sb.env`` that would make boto3 sign with admin credentials.
ADMIN_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
#: No shared config, no profile, no instance metadata: offline and reproducible.
HERMETIC_ENV = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


class ClearableStorage(nbauth.MemoryStorage):
    """``MemoryStorage`` that remembers its keys so a benchmark can empty it (a cold start)."""

    def __init__(self) -> None:
        super().__init__()
        self._keys: set[str] = set()

    def set(self, key: str, value: str) -> None:
        super().set(key, value)
        self._keys.add(key)

    def clear(self, prefix: str = "") -> None:
        """Forget every stored key starting with ``prefix`` (all of them by default)."""
        for key in [k for k in self._keys if k.startswith(prefix)]:
            self.remove(key)
            self._keys.discard(key)


@dataclass
class Federated:
    """A running sandbox plus what it takes to federate into its identity pool."""

    sb: Any  # nbauth.sandbox.Sandbox
    token: str  # the demo user's user-pool ID token
    provider: LoginsProvider
    auth: nbauth.Auth  # the default Auth (nbauth.configure), federated

    def identity_calls(self) -> tuple[int, int]:
        """Server-side counts of ``(GetId, GetCredentialsForIdentity)`` so far."""
        return self.sb.calls("GetId"), self.sb.calls("GetCredentialsForIdentity")


@contextmanager
def sandbox_environment() -> Iterator[Any]:
    """Start the sandbox and point boto3 at it, without admin keys; restore the env after."""
    import nbauth.sandbox

    saved = dict(os.environ)
    os.environ.update(HERMETIC_ENV)
    sb = nbauth.sandbox.start()
    try:
        os.environ.update(sb.env)
        for key in ADMIN_KEYS:
            os.environ.pop(key, None)
        yield sb
    finally:
        sb.stop()
        os.environ.clear()
        os.environ.update(saved)


def federated_default_auth(sb: Any) -> Federated:
    """``nbauth.configure(sb.config)`` then a module-level federation with a user-pool ID token."""
    token = sb.id_token()
    provider = nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id)
    auth = nbauth.configure(sb.config, storage=ClearableStorage())
    nbauth.federate_to_identity_pool(token, provider)
    return Federated(sb=sb, token=token, provider=provider, auth=auth)
