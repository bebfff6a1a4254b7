"""Invariant 1: no token, secret key or session token in a repr, log record or event payload.

The run issues real values (sandbox tokens and credentials); the test collects everything
a user could see — DEBUG logs of nbauth *and* botocore, Hub payloads, reprs and str() of every
public value — and searches it for those exact values.
"""

from __future__ import annotations

import json
import logging

import nbauth


def test_no_secret_reaches_logs_events_or_reprs(
    sb, make_auth, new_user, user_pool_provider, oidc_issuer, oidc_key, caplog
):
    caplog.set_level(logging.DEBUG)  # everything, botocore and urllib3 included
    auth = make_auth()
    payloads = []
    auth.hub.listen("auth", lambda c: payloads.append(json.dumps(c, default=repr)))

    _, user_token = new_user()
    result = auth.federate_to_identity_pool(user_token, user_pool_provider)
    session = auth.fetch_auth_session(force_refresh=True)
    s3 = auth.boto3_session().client("s3")
    s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")
    live = auth.boto3_session().get_credentials()
    auth.clear_federation_to_identity_pool()

    oidc_token = oidc_issuer.token(sub="secret-scan")

    class Tokens:
        def get_tokens(self, *, force_refresh=False):
            return {"id_token": oidc_token, "access_token": oidc_token}

    other = make_auth(token_provider=Tokens())
    other_payloads = []
    other.hub.listen("auth", lambda c: other_payloads.append(json.dumps(c, default=repr)))
    tp_session = other.fetch_auth_session()

    secrets = {
        user_token,
        oidc_token,
        result.credentials.secret_access_key,
        result.credentials.session_token,
        result.credentials.access_key_id,
        session.credentials.secret_access_key,
        session.credentials.session_token,
        session.credentials.access_key_id,
        tp_session.credentials.secret_access_key,
        tp_session.credentials.session_token,
    }
    # JWT signatures alone are secrets too (a token minus its payload is still a bearer token).
    secrets |= {t.rsplit(".", 1)[1] for t in (user_token, oidc_token)}
    assert all(len(s) >= 16 for s in secrets)

    visible = "\n".join(
        [
            *(record.getMessage() for record in caplog.records),
            *payloads,
            *other_payloads,
            repr(result),
            str(result),
            repr(session),
            str(session),
            repr(tp_session),
            repr(tp_session.tokens),
            str(tp_session.tokens.id_token),
            repr(auth),
            repr(other),
            repr(live),
            repr(auth.config),
            repr(nbauth.decode_jwt(user_token)),
        ]
    )
    assert caplog.records, "the scan must have seen log output"
    assert any("botocore" in r.name for r in caplog.records)
    leaked = [s[:6] + "…" for s in secrets if s in visible]
    assert not leaked, f"secrets visible: {leaked}"
