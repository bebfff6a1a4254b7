"""The fault matrix: every way the wire can break, against every call nbauth makes for a session.

A :class:`~tests.support.fault_proxy.FaultProxy` sits between nbauth and the shared sandbox:
``AWS_ENDPOINT_URL`` points at it (Cognito identity pool, user pool, S3 — botocore's own
convention) and ``HTTP_PROXY`` names it, so the sandbox IdP's requests (discovery, JWKS, device,
token) pass through it too while every URL stays the one the IdP issued (its issuer is signed
into its tokens). ``NBAUTH_HTTP_DEADLINE_SECONDS`` is set to :data:`DEADLINE`, so a stall or a
slow drip costs seconds, not minutes.

Rows (operations) by columns (:data:`~tests.support.fault_proxy.MODES`); each cell checks:

* the outcome: the right typed :class:`~nbauth.errors.AuthError` (retryable for network, 5xx,
  429, throttling, garbage and truncated answers; :class:`DeadlineExceededError` for a stall or
  a drip; :class:`ResponseTooLargeError` for 64 MB), or a transparent retry;
* valid tokens and credentials keep serving through a fault in their refresh window, and an
  S3 call made with ``boto3_session()`` still works;
* the stored records (refresh token, identity id, credentials cache files) are what they were;
* recovery without user action once the proxy passes again;
* no call took longer than its deadline (wall time measured around each call).

The table of observed outcomes is printed at the end of the module (``-s`` not needed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import nbauth
from nbauth.core.storage import FileStorage
from nbauth.errors import (
    AuthError,
    DeadlineExceededError,
    NetworkError,
    ResponseTooLargeError,
    ServiceError,
    TooManyRequestsError,
)
from nbauth.oidc import discovery
from tests.support.fakes import FakeClock
from tests.support.fault_proxy import MODES, Fault, FaultProxy

#: Total deadline of one IdP/AWS call during these tests (``NBAUTH_HTTP_DEADLINE_SECONDS``).
DEADLINE = 2.0
#: What a single call may take beyond its deadline (scheduling, parsing, a second thread).
SLACK = 1.5

ROWS = (
    "sign-in: device poll",
    "sign-in: code exchange",
    "token refresh",
    "federation",
    "credential refresh",
    "identity-id fetch",
)
COLUMNS = tuple(MODES)
#: AWS JSON throttling only means something to AWS; the IdP rows get a 429 instead.
IDP_ROWS = ROWS[:3]

#: Mode → the error class a caller must see (isinstance), when the fault reaches the caller.
EXPECTED: dict[str, type[AuthError]] = {
    "refuse": NetworkError,
    "reset": NetworkError,
    "stall": DeadlineExceededError,
    "drip": DeadlineExceededError,
    "drip body": DeadlineExceededError,
    "429": TooManyRequestsError,
    "500": ServiceError,
    "503": ServiceError,
    "throttle": TooManyRequestsError,
    "truncated": NetworkError,
    "garbage": ServiceError,
    "oversized": ResponseTooLargeError,
}

_RESULTS: dict[tuple[str, str], str] = {}

#: (row, mode) -> why the cell fails today because of code outside this suite.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def _modes(row: str) -> list[Any]:
    """The columns for ``row``, known gaps marked xfail (strict: a fix makes them fail)."""
    return [
        pytest.param(mode, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[(row, mode)]))
        if (row, mode) in KNOWN_GAPS
        else mode
        for mode in COLUMNS
    ]


pytestmark = pytest.mark.timeout(120)


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxy(sb: Any) -> Iterator[FaultProxy]:
    with FaultProxy(sb.aws_endpoint_url) as running:
        yield running


@pytest.fixture(scope="module", autouse=True)
def _print_table(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    table = render_table(_RESULTS)
    capman = request.config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        with capman.global_and_fixture_disabled():
            print("\n" + table)
    else:  # pragma: no cover
        print("\n" + table)


@pytest.fixture(autouse=True)
def _through_the_proxy(
    _aws_env: None, proxy: FaultProxy, sb: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    for name in ("http_proxy", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NBAUTH_HTTP_DEADLINE_SECONDS", str(DEADLINE))
    sb.set_token_lifetimes(device_interval=1)
    discovery.forget()
    proxy.clear()
    yield
    proxy.clear()
    discovery.forget()


@pytest.fixture
def make_auth(make_auth: Any, sb: Any, proxy: FaultProxy) -> Any:
    """Auths whose AWS endpoints go through the proxy (the configuration names them)."""
    return lambda **kwargs: make_auth(config=proxy.routed(sb.config), **kwargs)


@pytest.fixture
def store(tmp_path: Path) -> FileStorage:
    return FileStorage(tmp_path / "store")


# -- helpers -------------------------------------------------------------------------------


def _fault(mode: str, row: str) -> Fault:
    fault = MODES[mode]
    if mode.startswith("drip"):
        fault = replace(fault, limit=3 * DEADLINE)
    if mode == "throttle" and row in IDP_ROWS:
        fault = Fault.http(429, b'{"error": "slow_down_please"}', "application/json")
    return fault


def _timed(call: Callable[[], Any]) -> tuple[Any, Exception | None, float]:
    started = time.monotonic()
    try:
        return call(), None, time.monotonic() - started
    except Exception as exc:  # the cell records it
        return None, exc, time.monotonic() - started


def _files(store: FileStorage) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(store.path.iterdir()) if p.is_file()}


def _check_error(mode: str, exc: BaseException | None) -> str:
    assert isinstance(exc, AuthError), f"{mode}: expected a typed AuthError, got {exc!r}"
    expected = EXPECTED[mode]
    assert isinstance(exc, expected), f"{mode}: {type(exc).__name__} is not {expected.__name__}"
    if mode in ("refuse", "reset", "truncated"):
        assert not isinstance(exc, DeadlineExceededError), f"{mode}: {exc!r}"
    assert exc.retryable, f"{mode}: {type(exc).__name__} must be retryable"
    return type(exc).__name__


def _within_deadline(seconds: float, calls: int = 1) -> None:
    assert seconds <= calls * DEADLINE + SLACK, f"blocked {seconds:.1f} s (deadline {DEADLINE})"


def _record(row: str, mode: str, outcome: str, seconds: float) -> None:
    _RESULTS[(row, mode)] = f"{outcome} {seconds:.1f}s"


def _error_names(auth: nbauth.Auth, event: str) -> Callable[[], list[str]]:
    seen: list[str] = []

    def listen(capsule: dict[str, Any]) -> None:
        payload = capsule["payload"]
        if payload["event"] == event:
            data = payload.get("data") or {}
            seen.append(data.get("error", "?") if isinstance(data, dict) else str(data))

    auth.hub.listen("auth", listen)
    return lambda: seen


def _sign_in_with_code(sb: Any, auth: nbauth.Auth) -> None:
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))


def _s3_works(sb: Any, auth: nbauth.Auth) -> None:
    s3 = auth.boto3_session().client("s3")
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1


# -- the cells -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", _modes(ROWS[0]))
def test_device_code_polling(mode, sb, proxy, make_auth, caplog):
    """A faulted poll is retried on the next interval; the approval then signs the user in."""
    row = ROWS[0]
    caplog.set_level(logging.WARNING, logger="nbauth")
    auth = make_auth()
    proxy.set("/token", _fault(mode, row).once())
    handle = auth.sign_in_with_device_code()
    # The faulted poll ends (answered, dropped or given up by the client) before approval:
    # a poll answered after approval would carry the tokens.
    assert proxy.wait_done("/token", 1, timeout=DEADLINE + 10)
    seconds = proxy.last_duration("/token") or 0.0
    _within_deadline(seconds)
    sb.approve_device_code(handle.user_code)
    handle.wait(timeout=30)
    assert handle.status == "signed_in", handle.status
    _s3_works(sb, auth)
    retried = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retried, "the faulted poll should have been retried"
    reason = retried[0].split("(", 1)[1].split(")", 1)[0]
    _record(row, mode, f"{reason} retried ✓", seconds)


@pytest.mark.parametrize("mode", _modes(ROWS[1]))
def test_code_exchange(mode, sb, proxy, make_auth):
    """The code exchange fails with a typed error (or retries); a new sign-in then works."""
    row = ROWS[1]
    auth = make_auth()
    handle = auth.sign_in_with_redirect(mode="paste")
    redirect = sb.sign_in_at(handle.url)
    proxy.set("/token", _fault(mode, row))
    _, exc, seconds = _timed(lambda: handle.complete(redirect))
    _within_deadline(seconds)
    if exc is None:
        outcome = "retried ✓"
    else:
        outcome = _check_error(mode if mode != "throttle" else "429", exc)
    assert auth.fetch_auth_session().tokens is None or exc is None
    proxy.clear()
    if exc is not None:  # the person signs in again; nothing left over stands in the way
        _sign_in_with_code(sb, auth)
    assert auth.fetch_auth_session().tokens is not None
    _s3_works(sb, auth)
    _record(row, mode, outcome, seconds)


@pytest.mark.parametrize("mode", _modes(ROWS[2]))
def test_token_refresh(mode, sb, proxy, make_auth, store):
    """A refresh in the tokens' refresh window fails: the valid tokens and credentials keep
    serving, the refresh token stays stored, and the next retry succeeds once the IdP answers."""
    row = ROWS[2]
    clock = FakeClock(start=time.time())
    auth = make_auth(clock=clock, refresh={"background": False}, storage=store)
    failures = _error_names(auth, "tokenRefresh_failure")
    _sign_in_with_code(sb, auth)
    first = auth.fetch_auth_session()
    before = _files(store)
    tokens_status = auth.status().tokens
    assert tokens_status is not None
    clock.advance(tokens_status.refresh_at - clock() + 1)  # stale, still valid
    fault = _fault(mode, row)
    if mode in ("reset", "truncated", "drip", "drip body"):
        # The sandbox IdP rotates refresh tokens: an answer lost after the IdP rotated the
        # token loses the session on any client. Mangle a stand-in answer instead.
        fault = fault.standalone()
    proxy.set("/token", fault)
    session, exc, seconds = _timed(auth.fetch_auth_session)
    _within_deadline(seconds, calls=2)
    assert exc is None, f"valid tokens must keep serving: {exc!r}"
    assert session.tokens.id_token.to_string() == first.tokens.id_token.to_string()
    assert session.credentials is not None and session.credentials.expires_at > clock()
    assert failures(), "the failed refresh is announced"
    status = auth.status().tokens
    observed = status.last_error or failures()[-1]
    assert status.failures >= 1
    _s3_works(sb, auth)
    after = _files(store)
    for name, text in before.items():  # the session record (refresh token) is untouched
        if "refresh_token" in text:
            assert after.get(name) == text
    proxy.clear()
    clock.advance(max(0.0, status.retry_at - clock()))
    refreshed = auth.fetch_auth_session()
    assert refreshed.tokens.id_token.to_string() != first.tokens.id_token.to_string()
    assert auth.status().tokens.failures == 0
    _record(row, mode, f"{observed} stale ✓", seconds)


@pytest.mark.parametrize("mode", _modes(ROWS[3]))
def test_first_federation(mode, sb, proxy, make_auth, store, new_user, user_pool_provider):
    """GetCredentialsForIdentity fails on the first federate: a typed error (or a retry), the
    identity id GetId gave is kept, and the next call succeeds with the same identity."""
    row = ROWS[3]
    _, token = new_user()
    auth = make_auth(storage=store)
    proxy.set("GetCredentialsForIdentity", _fault(mode, row))
    _, exc, seconds = _timed(lambda: auth.federate_to_identity_pool(token, user_pool_provider))
    _within_deadline(seconds)
    outcome = "retried ✓" if exc is None else _check_error(mode, exc)
    key = auth.identity_pool.cache_key({user_pool_provider.logins_key: token})
    kept = store.get(key)
    assert kept, "the identity id from GetId is kept"
    proxy.clear()
    if exc is not None:
        # federate_to_identity_pool() raised: the session is not federated (a fetch now would
        # be a guest's), so the caller's retry is the same call; it gets the kept identity.
        assert auth.state != "federated"
        auth.federate_to_identity_pool(token, user_pool_provider)
    session = auth.fetch_auth_session()
    assert session.identity_id == kept
    assert session.credentials.expires_at > time.time()
    _s3_works(sb, auth)
    _record(row, mode, outcome, seconds)


@pytest.mark.parametrize("mode", _modes(ROWS[4]))
def test_credential_refresh(mode, sb, proxy, make_auth, store, new_user, user_pool_provider):
    """GetCredentialsForIdentity fails in the stale window: the valid credentials keep serving
    (nbauth and an S3 client); past their real expiry a typed error, never expired
    credentials; the identity id stays; the retry after the backoff succeeds."""
    row = ROWS[4]
    _, token = new_user()
    clock = FakeClock(start=time.time())
    auth = make_auth(clock=clock, refresh={"background": False}, storage=store)
    sb.set_credentials_lifetime(900)  # expire before the user-pool token does (an hour)
    first = auth.federate_to_identity_pool(token, user_pool_provider)
    sb.set_credentials_lifetime(3600)
    key = auth.identity_pool.cache_key({user_pool_provider.logins_key: token})
    engine = auth.credentials_engine
    s3 = auth.boto3_session().client("s3")
    clock.advance(engine.refresh_at - clock() + 1)
    proxy.set("GetCredentialsForIdentity", _fault(mode, row))
    session, exc, seconds = _timed(auth.fetch_auth_session)
    _within_deadline(seconds)
    assert exc is None, f"valid credentials must keep serving: {exc!r}"
    assert session.credentials == first.credentials
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
    assert engine.failures >= 1
    observed = _check_error(mode, engine.last_error)
    assert store.get(key) == first.identity_id
    # Past the real expiry, with the fault still on: a typed error, never expired credentials.
    clock.advance(first.credentials.expires_at - clock())
    _, late, late_seconds = _timed(auth.fetch_auth_session)
    _within_deadline(late_seconds)
    assert late is not None, "expired credentials must not be handed out"
    _check_error(mode, late)
    assert store.get(key) == first.identity_id and auth.state == "federated"
    proxy.clear()
    clock.advance(max(0.0, engine.retry_at - clock()))
    recovered = auth.fetch_auth_session()
    assert recovered.credentials.expires_at > clock()
    assert recovered.identity_id == first.identity_id
    _s3_works(sb, auth)
    _record(row, mode, f"{observed} stale ✓", max(seconds, late_seconds))


@pytest.mark.parametrize("mode", _modes(ROWS[5]))
def test_identity_id_fetch(mode, sb, proxy, make_auth, store):
    """GetId fails for a guest's first session: a typed error (or a retry), nothing half-stored,
    and the next call gets an identity and credentials."""
    row = ROWS[5]
    clock = FakeClock(start=time.time())
    auth = make_auth(clock=clock, refresh={"background": False}, storage=store)
    proxy.set("GetId", _fault(mode, row))
    session, exc, seconds = _timed(auth.fetch_auth_session)
    _within_deadline(seconds)
    if exc is None and session.credentials is not None:
        outcome = "retried ✓"
    else:
        if exc is None:  # Amplify-style: the session without credentials
            exc = auth.credentials_engine.last_error
        outcome = _check_error(mode, exc)
    proxy.clear()
    clock.advance(max(0.0, auth.credentials_engine.retry_at - clock()))  # the backoff ends
    recovered = auth.fetch_auth_session()
    assert recovered.identity_id and recovered.credentials is not None
    _s3_works(sb, auth)
    _record(row, mode, outcome, seconds)


# -- the table -----------------------------------------------------------------------------


_SHORT = {
    "DeadlineExceededError": "Deadline",
    "ResponseTooLargeError": "TooLarge",
    "TooManyRequestsError": "TooMany",
    "NetworkError": "Network",
    "ServiceError": "Service",
}


def _short(outcome: str) -> str:
    for long, short in _SHORT.items():
        outcome = outcome.replace(long, short)
    return outcome.replace(" retried ✓", "").replace(" stale ✓", "")


#: What every passing cell of a row also proved (asserted by its test), shown once per row.
_ROW_NOTES = {ROWS[0]: " (↻✓)", ROWS[2]: " (+stale✓)", ROWS[4]: " (+stale✓)"}


def render_table(results: dict[tuple[str, str], str]) -> str:
    """Rows = operations, columns = fault modes; a cell per observed outcome."""
    if not results:
        return "fault matrix: no cells ran"
    cells = {
        (row, mode): _short(results[(row, mode)])
        if (row, mode) in results
        else ("GAP (xfail)" if (row, mode) in KNOWN_GAPS else "—")
        for row in ROWS
        for mode in COLUMNS
    }
    labels = {row: row + _ROW_NOTES.get(row, "") for row in ROWS}
    first = max(len(r) for r in labels.values())
    widths = {m: max(len(m), *(len(cells[(r, m)]) for r in ROWS)) for m in COLUMNS}
    lines = [
        f"Fault matrix (total deadline {DEADLINE:g} s). Cell: error the caller saw (or that the "
        "refresh recorded), seconds the call took.",
        "(↻✓) the faulted poll was retried and the sign-in completed; (+stale✓) valid "
        "tokens/credentials kept serving (S3 call OK), records intact, recovered after the "
        "backoff. Every row: records intact, recovery once the proxy passes. GAP: strict "
        "xfail (KNOWN_GAPS). Throttle on IdP rows = HTTP 429 with a JSON body.",
        " | ".join(["operation".ljust(first), *(m.ljust(widths[m]) for m in COLUMNS)]),
        "-+-".join(["-" * first, *("-" * widths[m] for m in COLUMNS)]),
    ]
    for row in ROWS:
        lines.append(
            " | ".join(
                [labels[row].ljust(first), *(cells[(row, m)].ljust(widths[m]) for m in COLUMNS)]
            )
        )
    return "\n".join(lines)
