"""Sign-out in one kernel signs the others sharing the store out at their next use."""

from __future__ import annotations

from nbauth.core.storage import FileStorage


def test_sign_out_in_one_kernel_signs_the_other_out_with_a_signed_out_event(
    sb, make_auth, tmp_path
):
    store = tmp_path / "store"
    first = make_auth(storage=FileStorage(store))
    handle = first.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))
    assert first.fetch_auth_session().credentials is not None

    second = make_auth(storage=FileStorage(store))  # another kernel: restored from the store
    events: list[str] = []
    second.hub.listen("auth", lambda c: events.append(c["payload"]["event"]))
    assert second.state == "signed_in"
    assert second.fetch_auth_session().tokens is not None

    first.sign_out()
    assert first.state == "signed_out"
    session = second.fetch_auth_session()  # its next use
    assert second.state == "signed_out" and session.tokens is None
    assert events.count("signedOut") == 1
    assert second.status().state in ("signed_out", "guest")


def test_sign_out_and_clear_federation_drop_the_shared_cached_credentials(
    sb, make_auth, new_user, user_pool_provider, tmp_path
):
    storage = FileStorage(tmp_path / "store")
    auth = make_auth(storage=storage)
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))
    creds = auth.fetch_auth_session().credentials

    def files() -> set[str]:
        return {p.read_text() for p in (tmp_path / "store").glob("*.json")}

    assert any(creds.secret_access_key in text for text in files())
    auth.sign_out()
    assert not any(creds.secret_access_key in text for text in files())

    _, token = new_user()
    federated = make_auth(storage=storage).federate_to_identity_pool(token, user_pool_provider)
    assert any(federated.credentials.secret_access_key in text for text in files())
    other = make_auth(storage=storage)
    other.federate_to_identity_pool(token, user_pool_provider)  # adopts the cached ones
    assert other.current_credentials() == federated.credentials
    other.clear_federation_to_identity_pool()
    assert not any(federated.credentials.secret_access_key in text for text in files())
