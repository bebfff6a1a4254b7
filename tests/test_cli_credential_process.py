"""``nbauth login/status/logout``, ``credential-process`` and ``configure-aws-profile`` as
separate processes against the sandbox, and the real AWS CLI (``awscli``) running
``credential_process`` through the profile nbauth wrote."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import nbauth
from nbauth.core.storage import FileStorage
from tests.support.sandbox_fixtures import *  # noqa: F403

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.")
AWS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
CODE = re.compile(r"confirm the code\s+(\S+)")
NOT_SIGNED_IN = "not signed in for profile default — run `nbauth login --profile default`"


@dataclass
class Cli:
    sb: Any
    tmp: Path
    env: dict[str, str]
    config: Path

    def run(self, *args: str, timeout: float = 90, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "nbauth", *args], env={**self.env, **env},
                              text=True, capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "nbauth", *args], env=self.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)

    def aws(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "awscli", *args], env={**self.env, **env},
                              text=True, capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=90)

    @property
    def store(self) -> Path:
        return self.tmp / "state" / "nbauth" / "default"

    def sign_in(self, username: str = "demo") -> None:
        """Sign in in this process on the profile's store (as a kernel on the profile would)."""
        auth = nbauth.Auth(self.sb.config, storage=FileStorage(self.store), hub=nbauth.Hub())
        try:
            handle = auth.sign_in_with_device_code()
            self.sb.approve_device_code(handle.user_code, username)
            handle.wait(timeout=30)
        finally:
            auth.close()


@pytest.fixture
def cli(sb, tmp_path, monkeypatch) -> Cli:
    sb.set_token_lifetimes(device_interval=1)
    config = tmp_path / "amplify_outputs.json"
    config.write_text(json.dumps(sb.config))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "NBAUTH_CONFIG"}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        AWS_CONFIG_FILE=str(tmp_path / "aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws" / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL=sb.aws_endpoint_url,
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", sb.aws_endpoint_url)
    return Cli(sb, tmp_path, env, config)


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert not JWT.search(text) and not AWS_KEY.search(text), text


def test_credential_process_prints_version_1_json_from_the_shared_sign_in(cli):
    configured = cli.run("configure-aws-profile", "nb", "--config", str(cli.config))
    assert configured.returncode == 0, configured.stderr
    cli.sign_in()
    result = cli.run("credential-process")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert out["Version"] == 1 and out["AccessKeyId"].startswith("ASIA")
    expires = dt.datetime.fromisoformat(out["Expiration"].replace("Z", "+00:00"))
    assert 3000 < (expires - dt.datetime.now(dt.timezone.utc)).total_seconds() <= 3600
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", out["Expiration"])
    _no_secret(result.stderr)
    calls = (cli.sb.calls("GetCredentialsForIdentity"), cli.sb.idp_calls("token"))
    again = cli.run("credential-process")  # cached credentials: no network call
    assert again.returncode == 0 and json.loads(again.stdout) == out
    assert (cli.sb.calls("GetCredentialsForIdentity"), cli.sb.idp_calls("token")) == calls
    assert sorted(p.name for p in cli.store.parent.iterdir()) == ["default"]
    assert oct(cli.store.stat().st_mode & 0o777) == "0o700"


def test_without_a_sign_in_credential_process_exits_1_and_the_aws_cli_shows_why(cli):
    assert cli.run("configure-aws-profile", "nb", "--config", str(cli.config)).returncode == 0
    result = cli.run("credential-process")
    assert result.returncode == 1 and result.stdout == ""
    assert NOT_SIGNED_IN in result.stderr
    aws = cli.aws("--profile", "nb", "s3", "ls", f"s3://{cli.sb.bucket}/public/")
    assert aws.returncode != 0
    assert NOT_SIGNED_IN in aws.stderr
    # guests only when asked for (the shared sandbox allows them)
    guest = cli.run("credential-process", "--allow-guest")
    assert guest.returncode == 0, guest.stderr
    assert json.loads(guest.stdout)["Version"] == 1


def test_the_aws_cli_lists_the_bucket_through_credential_process_across_an_expiry(cli):
    lifetime = 8
    cli.sb.set_credentials_lifetime(lifetime)
    configured = cli.run("configure-aws-profile", "nb", "--config", str(cli.config))
    assert configured.returncode == 0, configured.stderr
    aws_config = Path(cli.env["AWS_CONFIG_FILE"]).read_text()
    assert "credential-process --profile default" in aws_config
    assert "region = us-east-1" in aws_config
    cli.sign_in()
    first = cli.aws("--profile", "nb", "s3", "ls", f"s3://{cli.sb.bucket}/public/")
    assert first.returncode == 0, first.stderr
    assert "hello.txt" in first.stdout
    # One SDK client across the expiry: botocore runs credential_process again by itself.
    import boto3

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_CONFIG_FILE", cli.env["AWS_CONFIG_FILE"])
        env.setenv("XDG_CONFIG_HOME", cli.env["XDG_CONFIG_HOME"])
        env.setenv("XDG_STATE_HOME", cli.env["XDG_STATE_HOME"])
        s3 = boto3.Session(profile_name="nb").client("s3")
        before = s3.list_objects_v2(Bucket=cli.sb.bucket, Prefix="public/")["KeyCount"]
        time.sleep(lifetime + 1)  # every credential issued before now has expired
        after = s3.list_objects_v2(Bucket=cli.sb.bucket, Prefix="public/")["KeyCount"]
    assert before == after >= 1
    again = cli.aws("--profile", "nb", "s3", "ls", f"s3://{cli.sb.bucket}/public/")
    assert again.returncode == 0, again.stderr
    assert "hello.txt" in again.stdout
    _no_secret(first.stderr, again.stderr)


def _code_from(proc: subprocess.Popen[str], seen: list[str]) -> str:
    assert proc.stderr is not None
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        match = CODE.search(line)
        if match:
            return match.group(1)
        if not line and proc.poll() is not None:
            break
    raise AssertionError("no device code shown:\n" + "".join(seen))


def _finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    """Wait, then what is left on stdout and stderr (read through the same buffered files)."""
    proc.wait(timeout=timeout)
    assert proc.stdout is not None and proc.stderr is not None
    return proc.stdout.read(), proc.stderr.read()


def test_login_status_logout_round_trip(cli):
    login = cli.popen("login", "--config", str(cli.config), "--no-browser")
    seen: list[str] = []
    cli.sb.approve_device_code(_code_from(login, seen))
    out, rest = _finish(login)
    assert login.returncode == 0, "".join(seen) + rest
    assert "Signed in as demo (profile default)" in out
    assert "Waiting for approval" in "".join(seen) + rest
    _no_secret(out, "".join(seen), rest)

    status = cli.run("status", "--json")
    assert status.returncode == 0, status.stderr
    view = json.loads(status.stdout)
    assert view["state"] == "signed_in" and view["username"] == "demo"
    assert view["identity_id"].startswith("us-east-1:") and view["credentials_expire_at"]
    assert view["config"] == str(cli.config) and view["store"] == str(cli.store)
    _no_secret(status.stdout, status.stderr)
    assert cli.run("credential-process").returncode == 0

    logout = cli.run("logout")
    assert logout.returncode == 0, logout.stderr
    assert cli.run("status").returncode == 1
    after = cli.run("credential-process")
    assert after.returncode == 1 and NOT_SIGNED_IN in after.stderr


def test_ctrl_c_cancels_a_login_cleanly(cli):
    login = cli.popen("login", "--config", str(cli.config), "--no-browser")
    _code_from(login, [])
    login.send_signal(signal.SIGINT)
    _out, err = _finish(login, 30)
    assert login.returncode == 130, err
    assert "cancelled" in err and "Traceback" not in err
    assert cli.run("status").returncode == 1


def test_two_logins_to_different_accounts_on_one_profile_last_one_wins(cli, pool_user):
    other, _ = pool_user()
    first = cli.popen("login", "--config", str(cli.config), "--no-browser")
    second = cli.popen("login", "--config", str(cli.config), "--no-browser")
    code_1, code_2 = _code_from(first, []), _code_from(second, [])
    cli.sb.approve_device_code(code_1)
    assert first.wait(timeout=60) == 0, _finish(first)
    cli.sb.approve_device_code(code_2, other)
    assert second.wait(timeout=60) == 0, _finish(second)
    view = json.loads(cli.run("status", "--json").stdout)
    assert view["username"] == other
    assert cli.run("credential-process").returncode == 0
    for proc in (first, second):
        _finish(proc)


def test_an_unusable_store_is_a_configuration_error(cli):
    blocker = cli.tmp / "state-is-a-file"
    blocker.write_text("")
    result = cli.run("credential-process", "--config", str(cli.config),
                     XDG_STATE_HOME=str(blocker))
    assert result.returncode == 2
    assert "cannot use" in result.stderr and "Traceback" not in result.stderr
    no_config = cli.run("status", "--profile", "elsewhere")
    assert no_config.returncode == 2 and "no configuration is recorded" in no_config.stderr
