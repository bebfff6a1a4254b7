"""The AWS ``credential_process`` output: what ``nbauth credential-process`` prints.

The AWS CLI and every SDK run the command named by a profile's ``credential_process`` and read
one JSON object from its standard output (Version 1)::

    {"Version": 1, "AccessKeyId": "ASIA…", "SecretAccessKey": "…",
     "SessionToken": "…", "Expiration": "2026-12-01T23:53:01Z"}

``Expiration`` (ISO-8601, UTC) tells the SDK when to run the command again; it is left out only
for credentials without an expiry, which the SDKs then never refresh.

Example::

    print(credential_process_json(auth.current_credentials()))
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # not imported at run time: credential-process starts on every AWS CLI call
    from ..core.values import AWSCredentials

__all__ = ["credential_process_json", "credential_process_output", "iso_expiration"]


def iso_expiration(expires_at: float) -> str:
    """Epoch seconds as AWS writes an expiry: ``2026-12-01T23:53:01Z``."""
    moment = _dt.datetime.fromtimestamp(expires_at, tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def credential_process_output(credentials: AWSCredentials) -> dict[str, Any]:
    """The Version 1 object for ``credentials`` (a secret: only ever for standard output)."""
    out: dict[str, Any] = {
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
    }
    if credentials.session_token:
        out["SessionToken"] = credentials.session_token
    expires_at = credentials.expires_at
    if expires_at is not None:
        out["Expiration"] = iso_expiration(float(expires_at))
    return out


def credential_process_json(credentials: AWSCredentials) -> str:
    """:func:`credential_process_output` as one line of JSON."""
    return json.dumps(credential_process_output(credentials))
