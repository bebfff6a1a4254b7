"""Changing an ``amplify_outputs.json`` dict (as ``sb.config`` makes one) for a test."""

from __future__ import annotations

from typing import Any


def with_oidc_provider(
    config: dict[str, Any], name: str, issuer: str, client_id: str, **extra: Any
) -> dict[str, Any]:
    """``config`` plus one provider in ``nbauth.oidc_providers`` (made the default)."""
    nb = dict(config.get("nbauth", {}))
    providers = {
        **nb.get("oidc_providers", {}),
        name: {"issuer": issuer, "client_id": client_id, **extra},
    }
    return {**config, "nbauth": {**nb, "oidc_providers": providers, "default_provider": name}}
