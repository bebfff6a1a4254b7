"""One "kernel" of ``test_cross_process_refresh``: a process sharing a FileStorage session.

    python -m tests.peers.cross_process_worker STORE CONTROL ISSUER CLIENT_ID INDEX ROUNDS

It restores the session from the shared record (no network while the tokens are valid), writes
``ready-INDEX``, then for each round waits for ``go-R`` (or ``go-R-INDEX``) in CONTROL, forces a
refresh and writes ``done-R-INDEX`` (JSON: IdP calls it made, error name, whether it still has a
session, a hash of the access token it got). With ``NBAUTH_TEST_STALL_IN_IDP=INDEX`` it writes
``in-idp-INDEX`` and hangs inside its first IdP refresh call, before the request is sent (the
test kills it there with SIGKILL while it holds the session's lock).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _write(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    store, control_dir, issuer, client_id, index_text, rounds_text = argv
    index, rounds, control = int(index_text), int(rounds_text), Path(control_dir)
    stall = os.environ.get("NBAUTH_TEST_STALL_IN_IDP") == index_text

    from nbauth.core.session_record import SessionRecord
    from nbauth.core.storage import FileStorage
    from nbauth.errors import AuthError
    from nbauth.oidc.client import OIDCClient, ProviderSpec
    from nbauth.oidc.token_provider import OIDCTokenProvider
    from nbauth.oidc.tokens import OIDCTokens

    calls: list[float] = []

    class CountingClient(OIDCClient):
        def refresh_response(
            self, refresh_token: str, previous: OIDCTokens | None = None
        ) -> dict[str, Any]:
            calls.append(time.time())
            if stall:
                (control / f"in-idp-{index}").touch()
                time.sleep(120)  # killed here, holding the session's lock
            return super().refresh_response(refresh_token, previous)

    storage = FileStorage(store)
    record = SessionRecord.load(storage, issuer, client_id)
    assert record is not None, "no session record to restore"
    events: list[str] = []
    lost: list[str] = []
    provider = OIDCTokenProvider(
        CountingClient(ProviderSpec(name="panva", issuer=issuer, client_id=client_id)),
        None,
        refresh_token=record.refresh_token,
        record=record,
        storage=storage,
        emit=lambda name, data, message: events.append(name),
        background=False,
        lock_timeout=20.0,
        on_invalidated=lambda: lost.append("invalidated"),
        on_signed_out_elsewhere=lambda: lost.append("signed_out_elsewhere"),
    )
    restored = provider.current is not None
    _write(control / f"ready-{index}", {"restored_without_network": restored and not calls})
    for r in range(rounds):
        while not (control / f"go-{r}").exists() and not (control / f"go-{r}-{index}").exists():
            time.sleep(0.002)
        before = len(calls)
        error = None
        try:
            tokens = provider.get_tokens(force_refresh=True)
        except AuthError as exc:
            tokens, error = None, exc.name
        current = provider.current
        access_token = current.access_token if tokens and current else ""  # opaque here
        _write(
            control / f"done-{r}-{index}",
            {
                "idp_calls": len(calls) - before,
                "error": error,
                "failures": events.count("tokenRefresh_failure"),
                "session": tokens is not None,
                "lost": lost,
                "access_token": hashlib.sha256(access_token.encode()).hexdigest()[:16],
                "finished_at": time.time(),
            },
        )
    provider.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
