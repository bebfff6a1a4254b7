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
