"""An IdP that answers a sign-in without an ID token (no ``openid`` scope): a clear,
non-retryable error whose advice is to add the scope — not "nbauth retries later"."""

from __future__ import annotations

import pytest

from nbauth.errors import MissingIdTokenError


def test_a_device_code_sign_in_without_openid_says_to_add_the_scope(sb, make_auth) -> None:
    auth = make_auth()
    handle = auth.sign_in_with_device_code(scopes=("offline_access", "email"))
    sb.approve_device_code(handle.user_code)
    with pytest.raises(MissingIdTokenError) as info:
        handle.wait(timeout=30)
    error = info.value
    assert handle.status == "failed"
    assert not error.retryable
    assert "without an ID token" in error.message
    assert "'openid'" in error.recovery_suggestion and "retries" not in error.recovery_suggestion
    assert auth.status().state.value == "signed_out"
