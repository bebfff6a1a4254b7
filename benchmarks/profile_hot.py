"""``--profile``: cProfile of the two hot paths, to see which function costs what.

cProfile adds a fixed cost per Python call, so its absolute times overstate
sub-microsecond functions; read the *shares* and the call counts (how many
Python frames one cached read goes through).
"""

from __future__ import annotations

import cProfile
import io
import pstats

from bench_signer import botocore_refreshable
from fixtures import Federated

import nbauth

CALLS = 200_000


def _profile(stmt: str, namespace: dict[str, object], limit: int = 8) -> str:
    profiler = cProfile.Profile()
    profiler.runctx(f"for _ in range({CALLS}):\n    {stmt}", namespace, {})
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def report(ctx: Federated) -> str:
    """Profiles of the cached session read and of both kinds of ``get_frozen_credentials()``."""
    live = nbauth.boto3_session().get_credentials()
    refreshable, _ = botocore_refreshable(ctx.auth.current_credentials())
    parts = [
        f"== cProfile: {CALLS:,} calls of nbauth.fetch_auth_session() ==",
        _profile("nbauth.fetch_auth_session()", {"nbauth": nbauth}),
        f"== cProfile: {CALLS:,} calls of LiveCredentials.get_frozen_credentials() ==",
        _profile("creds.get_frozen_credentials()", {"creds": live}),
        f"== cProfile: {CALLS:,} calls of RefreshableCredentials.get_frozen_credentials() ==",
        _profile("creds.get_frozen_credentials()", {"creds": refreshable}),
    ]
    return "\n".join(parts)
