"""The long soak: refreshes under random wire faults, and S3 calls across real credential expiries.

Not part of the test run (pytest collects ``test_*.py`` only). Run from the repository root::

    python -m tests.soak                 # 1 simulated hour + 10 real minutes (the soak of issue 11)
    python -m tests.soak --minutes 2     # a short try
    python -m tests.soak --sim-hours 0 --minutes 1 --seed 7

Both parts run against the sandbox behind a :class:`~tests.support.fault_proxy.FaultProxy`
(``AWS_ENDPOINT_URL`` and ``HTTP_PROXY`` name it; ``NBAUTH_HTTP_DEADLINE_SECONDS`` is short, so
a stall or a drip costs a second, not thirty).

1. **Simulated time**: the IdP and the identity pool mint tokens and credentials on the real
   clock (their clocks can't be injected from outside the sandbox, and an Auth clock running
   ahead of theirs turns every fresh token into an expired one), so the hour is *compressed*:
   every lifetime and margin is divided by :data:`SCALE` (IdP tokens 900 s → 12 s, credentials
   600 s → 8 s, refresh margin 300 s → 4 s) and ``--sim-hours`` of it run in
   ``hours * 3600 / SCALE`` real seconds (48 s per hour) with the background refresh on. A user
   signs in with code + PKCE at the sandbox IdP; every 1-4 s a random fault is armed on a random
   call (IdP ``/token``, ``GetCredentialsForIdentity``, ``GetId``) for 1-3 requests; every 0.1 s
   ``fetch_auth_session()`` is called. Counted: sessions served, credentials handed out already
   expired (must be 0), typed errors (allowed only once the held credentials really expired),
   untyped errors (must be 0), calls past their deadline (must be 0), faults fired, sessions
   lost (must be 0), refreshes.
2. **Real time** (``--minutes``): one S3 client from ``boto3_session()``, background refresh on,
   credentials that expire after 90 s (moto's lifetime); an S3 call every 0.25 s while faults
   are armed now and then on ``GetCredentialsForIdentity``. Counted: S3 calls, calls refused
   with ``ExpiredToken`` or signed with credentials past their expiry (must be 0), other
   failures, expiries crossed, faults fired.

Exit status 0 when every must-be-zero count is zero.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from collections import Counter
from dataclasses import replace
from typing import Any

from tests.support.fault_proxy import MODES, Fault, FaultProxy

DEADLINE = 1.0
#: Part 1's compression: an IdP token living 900 s lives 12 s here; 1 simulated hour = 48 s.
SCALE = 75
TOKEN_LIFETIME = 900 // SCALE
CREDENTIALS_LIFETIME = 600 // SCALE
MARGIN = 300 / SCALE
TARGETS = ("/token", "GetCredentialsForIdentity", "GetId")
#: Mid-response faults are mangled stand-ins on the IdP's token endpoint: the sandbox rotates
#: refresh tokens, and an answer lost after rotation loses the session on any client.
_STANDALONE = {"reset", "truncated", "drip", "drip body"}


def _environment(sb: Any, proxy: FaultProxy) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(name, None)
    for name in ("http_proxy", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ENDPOINT_URL=proxy.url,
        HTTP_PROXY=proxy.url,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        NBAUTH_HTTP_DEADLINE_SECONDS=str(DEADLINE),
    )


def _random_fault(rng: random.Random, target: str) -> tuple[str, Fault]:
    # HTML with HTTP 200 from Cognito is a known gap (tests/integration/test_fault_matrix.py,
    # KNOWN_GAPS): it ends in a bare KeyError, so the soak leaves it to the matrix.
    modes = [m for m in MODES if not (m == "garbage" and not target.startswith("/"))]
    mode = rng.choice(modes)
    fault = MODES[mode]
    if target == "/token" and mode == "throttle":
        mode, fault = "429", MODES["429"]
    if mode.startswith("drip"):
        fault = replace(fault, limit=4 * DEADLINE)
    if target == "/token" and mode in _STANDALONE:
        fault = fault.standalone()
    return mode, fault.once(rng.randint(1, 3))


def simulated(sb: Any, proxy: FaultProxy, hours: float, rng: random.Random) -> Counter[str]:
    """Part 1: ``hours`` of simulated time, compressed :data:`SCALE` times (see the module
    docstring), of token and credential refreshes with random faults."""
    import nbauth

    counts: Counter[str] = Counter()
    if hours <= 0:
        return counts
    sb.set_token_lifetimes(access=TOKEN_LIFETIME, id=TOKEN_LIFETIME)
    sb.set_credentials_lifetime(CREDENTIALS_LIFETIME)
    auth = nbauth.Auth(
        proxy.routed(sb.config),
        storage=nbauth.MemoryStorage(),
        hub=nbauth.Hub(),
        refresh={"margin_seconds": MARGIN, "jitter_seconds": MARGIN / 4},
    )
    auth.hub.listen("auth", lambda c: counts.update([f"event {c['payload']['event']}"]))
    try:
        handle = auth.sign_in_with_redirect(mode="paste")
        handle.complete(sb.sign_in_at(handle.url))
        held = auth.fetch_auth_session().credentials
        end = time.monotonic() + hours * 3600 / SCALE
        next_fault = time.monotonic()
        target: str | None = None
        while time.monotonic() < end:
            if time.monotonic() >= next_fault:
                if target is not None:  # hit by this call or by the background refresh
                    counts["faults fired"] += proxy.fired(target)
                target = rng.choice(TARGETS)
                mode, fault = _random_fault(rng, target)
                proxy.clear()
                proxy.set(target, fault)
                counts["faults armed"] += 1
                counts[f"armed {mode} on {target}"] += 1
                next_fault = time.monotonic() + rng.uniform(1, 4)
            started = time.monotonic()
            try:
                session = auth.fetch_auth_session()
            except nbauth.errors.AuthError as exc:
                counts[f"typed error {type(exc).__name__}"] += 1
                if held is not None and held.expires_at > time.time() + 1:
                    # fetch_auth_session() also returns tokens: it raises when the ID token
                    # expired and its refresh failed. What AWS clients use must still serve.
                    counts["fetch_auth_session errors while credentials were valid"] += 1
                    try:
                        served = auth.current_credentials()
                    except nbauth.errors.AuthError as again:
                        counts[
                            f"current_credentials() {type(again).__name__} while valid "
                            "credentials were held (must be 0)"
                        ] += 1
                    else:
                        if served.expires_at <= time.time():
                            counts["expired credentials handed out (must be 0)"] += 1
            except Exception as exc:
                counts[f"UNTYPED error {type(exc).__name__} (must be 0)"] += 1
            else:
                counts["sessions served"] += 1
                creds = session.credentials
                if creds is None:
                    counts["sessions without credentials"] += 1
                elif creds.expires_at <= time.time():
                    counts["expired credentials handed out (must be 0)"] += 1
                else:
                    if held is not None and creds.access_key_id != held.access_key_id:
                        counts["credentials refreshed"] += 1
                    held = creds
            if time.monotonic() - started > 2 * DEADLINE + 1.5:
                counts["calls past their deadline (must be 0)"] += 1
            if auth.state != "signed_in":
                counts["sessions lost (must be 0)"] += 1
                break
            time.sleep(0.1)
        if target is not None:
            counts["faults fired"] += proxy.fired(target)
        counts["simulated seconds"] = int(hours * 3600)
    finally:
        proxy.clear()
        auth.close()
        sb.reset_token_lifetimes()
        sb.set_credentials_lifetime(3600)
    return counts


def real_time(
    sb: Any, proxy: FaultProxy, minutes: float, rng: random.Random, lifetime: int = 90
) -> Counter[str]:
    """Part 2: ``minutes`` real minutes of S3 calls across ``lifetime``-second credentials."""
    from botocore.exceptions import BotoCoreError, ClientError

    import nbauth

    counts: Counter[str] = Counter()
    if minutes <= 0:
        return counts
    sb.set_credentials_lifetime(lifetime)
    auth = nbauth.Auth(proxy.routed(sb.config), storage=nbauth.MemoryStorage(), hub=nbauth.Hub())
    try:
        auth.federate_to_identity_pool(
            sb.id_token(), nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id)
        )
        s3 = auth.boto3_session().client("s3")
        keys: set[str] = set()

        def check(**_: Any) -> None:
            status = auth.status()
            if status.credentials_expire_at is not None and status.credentials_expire_at <= (
                time.time()
            ):
                counts["calls signed with expired credentials (must be 0)"] += 1

        s3.meta.events.register("before-sign.s3.*", check)
        end = time.monotonic() + minutes * 60
        next_fault = time.monotonic() + rng.uniform(5, 20)
        while time.monotonic() < end:
            if time.monotonic() >= next_fault:
                counts["faults fired"] += proxy.fired("GetCredentialsForIdentity")
                mode, fault = _random_fault(rng, "GetCredentialsForIdentity")
                proxy.set("GetCredentialsForIdentity", fault)
                counts["faults armed"] += 1
                counts[f"armed {mode}"] += 1
                next_fault = time.monotonic() + rng.uniform(5, 20)
            try:
                s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")
                counts["S3 calls ok"] += 1
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code == "ExpiredToken":
                    counts["S3 calls refused ExpiredToken (must be 0)"] += 1
                else:
                    counts[f"S3 calls failed {code}"] += 1
            except (BotoCoreError, nbauth.errors.AuthError) as exc:
                counts[f"S3 calls failed {type(exc).__name__}"] += 1
            current = auth.status()
            if current.credentials_expire_at is not None:
                keys.add(str(current.credentials_expire_at))
            time.sleep(0.25)
        counts["faults fired"] += proxy.fired("GetCredentialsForIdentity")
        counts["credential sets used"] = len(keys)
        counts["real seconds"] = int(minutes * 60)
    finally:
        proxy.clear()
        auth.close()
        sb.set_credentials_lifetime(3600)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sim-hours", type=float, default=1.0, help="simulated hours (part 1)")
    parser.add_argument("--minutes", type=float, default=10.0, help="real minutes (part 2)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    logging.basicConfig(level=logging.ERROR)

    import nbauth.sandbox

    sb = nbauth.sandbox.start()
    proxy = FaultProxy(sb.aws_endpoint_url)
    _environment(sb, proxy)
    try:
        print(f"soak: seed {seed}, deadline {DEADLINE:g} s, proxy {proxy.url}", flush=True)
        started = time.monotonic()
        sim = simulated(sb, proxy, args.sim_hours, rng)
        print(
            f"\n[1] {args.sim_hours:g} simulated hour(s) ({time.monotonic() - started:.0f} s real)"
        )
        _print(sim)
        started = time.monotonic()
        real = real_time(sb, proxy, args.minutes, rng)
        print(f"\n[2] {args.minutes:g} real minute(s) of S3 calls, 90 s credentials")
        _print(real)
    finally:
        proxy.close()
        sb.stop()
    bad = {k: v for k, v in (sim + real).items() if "must be 0" in k and v}
    print("\nresult:", "OK" if not bad else f"FAILED {bad}")
    return 0 if not bad else 1


def _print(counts: Counter[str]) -> None:
    for key in sorted(counts):
        print(f"  {key:<58} {counts[key]}")


if __name__ == "__main__":
    sys.exit(main())
