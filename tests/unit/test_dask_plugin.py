"""nbauth.integrations.dask with fakes: the plugin workers receive, the typed error once the
shared credentials lapse, redacted reprs and logs, and re-sharing after a refresh driven by a
fake clock (no cluster, no sleeping; tests/integration/test_dask.py runs a real one)."""

from __future__ import annotations

import logging
import pickle
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("distributed")

import nbauth
from nbauth.core.values import AWSCredentials
from nbauth.errors import NoCredentialsError, SharedCredentialsLapsedError
from nbauth.integrations import dask_worker
from nbauth.integrations.dask import (
    MIN_CHECK_SECONDS,
    RETRY_SECONDS,
    CredentialsSharing,
    SharedCredentialsPlugin,
    shared_credentials,
    worker_session,
    worker_storage_options,
)
from tests.support.fakes import FakeClock

SECRET = "sEcReT" + "x" * 34
TOKEN = "ToKeN" + "y" * 300


def creds(n: int, expires_at: float) -> AWSCredentials:
    return AWSCredentials(f"ASIAFAKE{n:012d}", f"{SECRET}{n}", f"{TOKEN}{n}", expires_at)


@pytest.fixture
def name() -> Any:
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    dask_worker.forget_shared_credentials(name)


class CountingHub(nbauth.Hub):
    """A Hub that counts its live subscriptions."""

    active = 0

    def listen(self, channel: str, callback: Any) -> Any:
        stop = super().listen(channel, callback)
        self.active += 1
        done = []

        def unsubscribe() -> None:
            if not done:
                done.append(True)
                self.active -= 1
            stop()

        return unsubscribe


class FakeAuth:
    def __init__(self, credentials: AWSCredentials | None) -> None:
        self.hub = CountingHub()
        self.config = SimpleNamespace(region="eu-west-1", aws_endpoint_url="http://127.0.0.1:9")
        self.credentials = credentials
        self.failure: Exception | None = None

    def current_credentials(self) -> AWSCredentials:
        if self.failure is not None:
            raise self.failure
        if self.credentials is None:
            raise NoCredentialsError("nobody is signed in")
        return self.credentials


class FakeClient:
    """Records what would travel to the scheduler: the pickled plugin."""

    id = "Client-fake"
    asynchronous = False

    def __init__(self) -> None:
        self.status = "running"
        self.sent: list[bytes] = []
        self.fail: Exception | None = None
        self.unregistered: list[str] = []
        self.ran: list[tuple[Any, tuple[Any, ...]]] = []

    def register_plugin(self, plugin: Any, name: str | None = None) -> dict[str, Any]:
        if self.fail is not None:
            raise self.fail
        assert name == plugin.name
        self.sent.append(pickle.dumps(plugin))
        return {}

    def unregister_worker_plugin(self, name: str) -> None:
        self.unregistered.append(name)

    def run(self, function: Any, *args: Any) -> None:
        self.ran.append((function, args))
        function(*args)

    def on_worker(self) -> SharedCredentialsPlugin:
        """What a worker does with the last broadcast: unpickle it, set it up."""
        plugin = pickle.loads(self.sent[-1])
        plugin.setup(worker=None)
        return plugin


# -- the plugin on a worker ----------------------------------------------------------------------


def test_a_worker_reads_the_newest_credentials_and_a_typed_error_once_they_lapse(name):
    clock = FakeClock()
    plugin = SharedCredentialsPlugin(
        creds(1, clock.now + 60), name=name, shared_by="Dask client C", shared_at=clock.now
    )
    pickle.loads(pickle.dumps(plugin)).setup(worker=None)  # as the scheduler delivers it
    assert shared_credentials(name, clock=clock).access_key_id == "ASIAFAKE000000000001"

    clock.advance(60 - 6 - 0.1)  # usable until 6 s before expiry (a tenth of its 60 s life)
    assert shared_credentials(name, clock=clock).secret_access_key == f"{SECRET}1"
    clock.advance(0.1)
    with pytest.raises(SharedCredentialsLapsedError) as caught:
        shared_credentials(name, clock=clock)
    err = caught.value
    assert isinstance(err, NoCredentialsError)
    assert err.lapsed_at == plugin.credentials.expiration.isoformat()
    assert err.lapsed_at in err.message and "Dask client C" in err.message
    assert "share_credentials(client)" in err.recovery_suggestion
    assert "Dask client C" in err.recovery_suggestion
    # A task's exception travels back to the client pickled: every field survives.
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is SharedCredentialsLapsedError
    assert (back.message, back.recovery_suggestion, back.lapsed_at, back.shared_by) == (
        err.message, err.recovery_suggestion, err.lapsed_at, err.shared_by,
    )  # fmt: skip


def test_nothing_shared_is_a_plain_no_credentials_error(name):
    with pytest.raises(NoCredentialsError) as caught:
        shared_credentials(name)
    assert type(caught.value) is NoCredentialsError
    assert name in caught.value.message and "share_credentials" in caught.value.recovery_suggestion
    with pytest.raises(NoCredentialsError):
        worker_session(name)


def test_an_older_snapshot_arriving_late_never_replaces_a_newer_one(name):
    clock = FakeClock()
    newer = SharedCredentialsPlugin(creds(2, clock.now + 60), name=name, sharing_id="a", sequence=2)
    older = SharedCredentialsPlugin(creds(1, clock.now + 30), name=name, sharing_id="a", sequence=1)
    newer.setup()
    older.setup()
    assert shared_credentials(name, clock=clock).access_key_id.endswith("2")
    # Another sharing (a new client shares after the first went away) always wins.
    other = SharedCredentialsPlugin(creds(3, clock.now + 60), name=name, sharing_id="b", sequence=1)
    other.setup()
    assert shared_credentials(name, clock=clock).access_key_id.endswith("3")


def test_teardown_on_replacement_keeps_serving_and_forget_drops(name):
    plugin = SharedCredentialsPlugin(creds(1, 4_000_000_000), name=name)
    plugin.setup()
    plugin.teardown()  # distributed tears the old one down right before the new one's setup
    assert shared_credentials(name).access_key_id.endswith("1")
    assert dask_worker.forget_shared_credentials(name) is True
    with pytest.raises(NoCredentialsError):
        shared_credentials(name)


def test_worker_session_signs_with_the_newest_credentials_and_raises_typed_after_lapse(name):
    far = 4_000_000_000.0
    SharedCredentialsPlugin(creds(1, far), name=name, region="eu-west-1").setup()
    session = worker_session(name)
    assert session.region_name == "eu-west-1"
    assert session.get_credentials().get_frozen_credentials().access_key.endswith("1")
    SharedCredentialsPlugin(creds(2, far), name=name, sequence=1).setup()
    assert session.get_credentials().get_frozen_credentials().access_key.endswith("2")

    past = 1_000_000_000.0
    SharedCredentialsPlugin(creds(3, past), name=name, sharing_id="x", shared_at=past - 60).setup()
    with pytest.raises(SharedCredentialsLapsedError):
        session.get_credentials().get_frozen_credentials()
    with pytest.raises(SharedCredentialsLapsedError):
        worker_session(name)
    with pytest.raises(SharedCredentialsLapsedError):
        worker_storage_options(name)


def test_worker_session_and_storage_options_use_the_shared_endpoint(name):
    plugin = SharedCredentialsPlugin(
        creds(1, 4_000_000_000), name=name, region="eu-west-1", endpoint_url="http://127.0.0.1:9"
    )
    plugin.setup()
    client = worker_session(name).client("s3")
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    options = worker_storage_options(name)
    assert options["client_kwargs"] == {
        "region_name": "eu-west-1",
        "endpoint_url": "http://127.0.0.1:9",
    }
    assert worker_storage_options(name)["session"] is options["session"]  # s3fs's cache hits


def test_reprs_and_logs_carry_no_secret(name, caplog):
    caplog.set_level(logging.DEBUG, logger="nbauth")
    clock = FakeClock()
    auth = FakeAuth(creds(1, clock.now + 3600))
    client = FakeClient()
    sharing = CredentialsSharing(client, auth, name=name, clock=clock, start=False)
    sharing.step()
    plugin = client.on_worker()
    shown = " ".join([repr(plugin), str(plugin), repr(sharing), caplog.text])
    for secret in (f"{SECRET}1", f"{TOKEN}1", "ASIAFAKE000000000001"):
        assert secret not in shown
    assert plugin.expires_iso in repr(plugin) and "redacted" in repr(plugin)
    assert "Shared AWS credentials" in caplog.text


# -- re-sharing on the client, with a fake clock ---------------------------------------------


def test_one_broadcast_per_refresh_woken_by_the_auth_event(name):
    clock = FakeClock()
    auth = FakeAuth(creds(1, clock.now + 3600))
    client = FakeClient()
    sharing = CredentialsSharing(client, auth, name=name, clock=clock, start=False)

    assert sharing.step() == 300.0  # half the remaining hour, capped at 5 minutes
    assert len(client.sent) == 1 and sharing.broadcasts == 1
    plugin = client.on_worker()
    assert (plugin.region, plugin.endpoint_url, plugin.sequence) == (
        "eu-west-1", "http://127.0.0.1:9", 1,
    )  # fmt: skip
    assert "Client-fake" in plugin.shared_by

    clock.advance(3000)
    assert sharing.step() == 300.0  # unchanged credentials: nothing sent
    assert len(client.sent) == 1

    auth.credentials = creds(2, clock.now + 3600)  # the Auth refreshed
    assert not sharing.wake_pending
    auth.hub.dispatch("auth", "credentialsRefresh", {"expiration": "…"})
    assert sharing.wake_pending  # the thread would wake now, not in 5 minutes
    sharing.step()
    assert len(client.sent) == 2
    plugin = client.on_worker()
    assert plugin.sequence == 2
    assert shared_credentials(name, clock=clock).access_key_id.endswith("2")

    auth.hub.dispatch("auth", "signInWithRedirect", None)
    auth.hub.dispatch("auth", "tokenRefresh", None)
    sharing.step()
    assert len(client.sent) == 2  # a token refresh alone does not change the credentials


def test_checks_come_sooner_as_expiry_nears(name):
    clock = FakeClock()
    auth = FakeAuth(creds(1, clock.now + 40))
    sharing = CredentialsSharing(FakeClient(), auth, name=name, clock=clock, start=False)
    assert sharing.step() == 20.0
    clock.advance(39.5)
    assert sharing.step() == MIN_CHECK_SECONDS


def test_the_first_share_raises_and_later_failures_keep_the_workers_credentials(name, caplog):
    clock = FakeClock()
    auth = FakeAuth(None)
    client = FakeClient()
    with pytest.raises(NoCredentialsError):
        CredentialsSharing(client, auth, name=name, clock=clock)
    assert client.sent == []
    assert auth.hub.active == 0  # nothing left listening

    auth.credentials = creds(1, clock.now + 60)
    sharing = CredentialsSharing(client, auth, name=name, clock=clock, start=False)
    sharing.step()
    auth.failure = nbauth.errors.NetworkError("identity pool unreachable")
    assert sharing.step() == RETRY_SECONDS  # no raise; the workers keep the last ones
    assert "NetworkError" in caplog.text and sharing.shared_until in caplog.text

    auth.failure = None
    auth.credentials = creds(2, clock.now + 60)
    client.fail = OSError("scheduler unreachable")
    assert sharing.step() == RETRY_SECONDS and sharing.running
    client.status = "closed"
    assert sharing.step() == 0.0
    assert not sharing.running  # the client went away: nothing more to share with


def test_stop_keeps_or_withdraws_the_workers_credentials(name):
    clock = FakeClock()
    client = FakeClient()
    sharing = CredentialsSharing(
        client, FakeAuth(creds(1, clock.now + 60)), name=name, clock=clock, start=False
    )
    sharing.step()
    client.on_worker()
    sharing.stop()
    assert client.unregistered == [] and shared_credentials(name, clock=clock)
    assert sharing.auth.hub.active == 0 and not sharing.running
    sharing.stop(withdraw=True)
    assert client.unregistered == [name]
    with pytest.raises(NoCredentialsError):
        shared_credentials(name, clock=clock)


def test_an_asynchronous_client_is_refused(name):
    client = FakeClient()
    client.asynchronous = True
    with pytest.raises(nbauth.errors.InvalidParameterError):
        CredentialsSharing(client, FakeAuth(creds(1, 4e9)), name=name, start=False)


@pytest.mark.parametrize("event", ["signedOut", "federationToIdentityPoolCleared"])
def test_signing_out_in_the_notebook_withdraws_the_workers_credentials(name, event):
    clock = FakeClock()
    client = FakeClient()
    auth = FakeAuth(creds(1, clock.now + 3600))
    sharing = CredentialsSharing(client, auth, name=name, clock=clock)  # with its thread
    client.on_worker()
    assert shared_credentials(name, clock=clock)
    auth.hub.dispatch("auth", event, None)
    assert sharing._thread is not None
    sharing._thread.join(5.0)
    assert not sharing.running and client.unregistered == [name]
    with pytest.raises(NoCredentialsError):
        shared_credentials(name, clock=clock)
    assert auth.hub.active == 0
