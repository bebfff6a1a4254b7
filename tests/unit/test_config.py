"""Unit tests for nbauth.config.load_config: amplify_outputs.json + the nbauth section."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from nbauth.config import AuthConfig, OAuthConfig, OIDCProviderConfig, load_config
from nbauth.errors import AuthError, ConfigurationError

REGION = "eu-west-1"
USER_POOL_ID = "eu-west-1_AbC123xyz"
CLIENT_ID = "4n1kq9d2v3example7client0id"
IDENTITY_POOL_ID = "eu-west-1:0f3d2c1b-aaaa-4bbb-8ccc-0123456789ab"
US_IDENTITY_POOL_ID = "us-east-1:0f3d2c1b-aaaa-4bbb-8ccc-0123456789ab"
CLIENT_SECRET = "s3cr3t-client-secret-value-1234567890"


@pytest.fixture
def outputs() -> dict[str, Any]:
    """A full Amplify Gen 2 amplify_outputs.json, with unrelated sections nbauth must ignore."""
    return {
        "version": "1.3",
        "auth": {
            "aws_region": REGION,
            "user_pool_id": USER_POOL_ID,
            "user_pool_client_id": CLIENT_ID,
            "identity_pool_id": IDENTITY_POOL_ID,
            "unauthenticated_identities_enabled": True,
            "password_policy": {
                "min_length": 8,
                "require_lowercase": True,
                "require_numbers": True,
                "require_symbols": True,
                "require_uppercase": True,
            },
            "mfa_methods": ["TOTP"],
            "mfa_configuration": "OPTIONAL",
            "standard_required_attributes": ["email"],
            "username_attributes": ["email"],
            "user_verification_types": ["email"],
            "groups": [{"ADMINS": {"precedence": 0}}],
            "oauth": {
                "domain": "example.auth.eu-west-1.amazoncognito.com",
                "scopes": ["openid", "email", "profile"],
                "redirect_sign_in_uri": ["http://localhost:8888/callback"],
                "redirect_sign_out_uri": ["http://localhost:8888/"],
                "response_type": "code",
                "identity_providers": ["GOOGLE", "SignInWithApple"],
            },
        },
        "data": {
            "url": "https://example.appsync-api.eu-west-1.amazonaws.com/graphql",
            "aws_region": "us-east-1",
            "default_authorization_type": "AMAZON_COGNITO_USER_POOLS",
            "authorization_types": ["AWS_IAM"],
        },
        "storage": {"aws_region": "us-west-2", "bucket_name": "team-data"},
        "custom": {"anything": [1, 2, 3]},
        "nbauth": {
            "oidc_providers": {
                "corp": {
                    "issuer": "https://idp.example.com",
                    "client_id": "nbauth-client",
                    "client_secret": CLIENT_SECRET,
                    "scopes": ["openid", "offline_access", "email"],
                    "logins_key": "idp.example.com",
                },
                "other": {"issuer": "https://other.example.org/tenant", "client_id": "x"},
            },
            "default_provider": "corp",
            "refresh": {"margin_seconds": 120, "jitter_seconds": 7.5, "background": False},
            "storage": {"kind": "file", "path": "/tmp/nbauth-cache"},
        },
    }


def _error(config: Any = None, **overrides: Any) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        load_config(config, **overrides)
    err = info.value
    assert isinstance(err, AuthError)
    assert err.name == "ConfigurationError"
    assert isinstance(err.recovery_suggestion, str) and err.recovery_suggestion.strip()
    return err


_DELETE = object()


def _with(outputs: dict[str, Any], section: str, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(outputs)
    target = data
    for part in section.split("."):
        target = target[part]
    for key, value in changes.items():
        if value is _DELETE:
            target.pop(key, None)
        else:
            target[key] = value
    return data


# --- the full file ------------------------------------------------------------------------------


def test_full_outputs_map_to_every_field(outputs: dict[str, Any]) -> None:
    cfg = load_config(outputs)

    assert isinstance(cfg, AuthConfig)
    assert cfg.region == REGION
    assert cfg.user_pool_id == USER_POOL_ID
    assert cfg.user_pool_client_id == CLIENT_ID
    assert cfg.identity_pool_id == IDENTITY_POOL_ID
    assert cfg.allow_guest is True
    assert cfg.oauth == OAuthConfig(
        domain="example.auth.eu-west-1.amazoncognito.com",
        scopes=("openid", "email", "profile"),
        redirect_sign_in_uri=("http://localhost:8888/callback",),
        redirect_sign_out_uri=("http://localhost:8888/",),
        response_type="code",
        identity_providers=("GOOGLE", "SignInWithApple"),
    )
    assert set(cfg.oidc_providers) == {"corp", "other"}
    assert cfg.oidc_providers["corp"] == OIDCProviderConfig(
        name="corp",
        issuer="https://idp.example.com",
        client_id="nbauth-client",
        client_secret=CLIENT_SECRET,
        scopes=("openid", "offline_access", "email"),
        logins_key="idp.example.com",
    )
    other = cfg.oidc_providers["other"]
    assert other.client_secret is None
    assert other.logins_key is None
    assert other.scopes == ("openid", "offline_access", "email", "profile")
    assert cfg.default_provider == "corp"
    assert cfg.refresh_margin_seconds == 120.0
    assert cfg.refresh_jitter_seconds == 7.5
    assert cfg.background_refresh is False
    assert cfg.storage_kind == "file"
    assert cfg.storage_path == "/tmp/nbauth-cache"
    assert cfg.source == "dict"
    assert cfg.user_pool_logins_key == f"cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}"
    assert cfg.require_identity_pool() == IDENTITY_POOL_ID


def test_unrelated_amplify_sections_do_not_change_the_result(outputs: dict[str, Any]) -> None:
    stripped = copy.deepcopy(outputs)
    for key in ("data", "storage", "custom", "version"):
        del stripped[key]
    for key in ("password_policy", "mfa_methods", "mfa_configuration", "groups"):
        del stripped["auth"][key]
    assert load_config(stripped) == load_config(outputs)


def test_empty_config_is_refused_as_useless() -> None:
    # Nothing to sign in to and no identity pool: refused at configure() time (issue 13).
    err = _error({})
    assert "neither tokens nor AWS credentials" in err.message
    assert "auth.identity_pool_id" in err.recovery_suggestion


def test_minimal_config_gives_defaults() -> None:
    cfg = load_config({"auth": {"identity_pool_id": IDENTITY_POOL_ID}})
    assert cfg == AuthConfig(region=REGION, identity_pool_id=IDENTITY_POOL_ID, source="dict")
    assert cfg.allow_guest is False
    assert cfg.oauth is None
    assert dict(cfg.oidc_providers) == {}
    assert cfg.refresh_margin_seconds == 300.0
    assert cfg.refresh_jitter_seconds == 30.0
    assert cfg.background_refresh is True
    assert cfg.storage_kind == "memory"
    assert cfg.storage_path is None
    assert cfg.user_pool_logins_key is None


def test_require_identity_pool_without_one() -> None:
    with pytest.raises(ConfigurationError) as info:
        load_config({"auth": {"user_pool_id": USER_POOL_ID}}).require_identity_pool()
    assert "auth.identity_pool_id" in info.value.message
    assert info.value.recovery_suggestion


def test_region_inferred_from_identity_pool_id() -> None:
    cfg = load_config({"auth": {"identity_pool_id": US_IDENTITY_POOL_ID}})
    assert cfg.region == "us-east-1"


def test_region_inferred_from_user_pool_id() -> None:
    cfg = load_config({"auth": {"user_pool_id": "ap-southeast-2_Xyz"}})
    assert cfg.region == "ap-southeast-2"
    assert cfg.user_pool_logins_key == "cognito-idp.ap-southeast-2.amazonaws.com/ap-southeast-2_Xyz"


def test_load_config_does_not_mutate_its_input(outputs: dict[str, Any]) -> None:
    before = copy.deepcopy(outputs)
    cfg = load_config(
        outputs, identity_pool_id=US_IDENTITY_POOL_ID, aws_region="us-east-1", user_pool_id=None
    )
    assert cfg.identity_pool_id == US_IDENTITY_POOL_ID
    assert outputs == before


# --- where the configuration comes from ---------------------------------------------------------


def test_reads_a_file_path(tmp_path, outputs: dict[str, Any]) -> None:
    path = tmp_path / "amplify_outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")

    from_path = load_config(path)
    from_str = load_config(str(path))

    assert from_path.source == str(path)
    assert from_str.source == str(path)
    assert from_path.identity_pool_id == IDENTITY_POOL_ID
    assert from_path.oidc_providers["corp"].client_id == "nbauth-client"


def test_reads_nbauth_config_env(tmp_path, monkeypatch, outputs: dict[str, Any]) -> None:
    path = tmp_path / "elsewhere.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    other_cwd = tmp_path / "cwd"
    other_cwd.mkdir()
    (other_cwd / "amplify_outputs.json").write_text(
        json.dumps({"auth": {"identity_pool_id": US_IDENTITY_POOL_ID}}), encoding="utf-8"
    )
    monkeypatch.chdir(other_cwd)
    monkeypatch.setenv("NBAUTH_CONFIG", str(path))

    cfg = load_config()

    assert cfg.source == str(path)
    assert cfg.identity_pool_id == IDENTITY_POOL_ID  # $NBAUTH_CONFIG wins over ./ file


def test_nbauth_config_env_pointing_nowhere(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NBAUTH_CONFIG", str(tmp_path / "missing.json"))
    err = _error()
    assert "missing.json" in err.message


def test_reads_amplify_outputs_in_cwd(tmp_path, monkeypatch, outputs: dict[str, Any]) -> None:
    (tmp_path / "amplify_outputs.json").write_text(json.dumps(outputs), encoding="utf-8")
    monkeypatch.delenv("NBAUTH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)

    cfg = load_config()

    assert cfg.source == "amplify_outputs.json"
    assert cfg.user_pool_id == USER_POOL_ID


def test_no_configuration_anywhere(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("NBAUTH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    err = _error()
    assert "NBAUTH_CONFIG" in err.message
    assert "amplify_outputs.json" in err.message


# --- overrides ----------------------------------------------------------------------------------


def test_overrides_replace_file_values(outputs: dict[str, Any]) -> None:
    cfg = load_config(
        outputs,
        aws_region="us-east-1",
        user_pool_id=None,
        identity_pool_id=US_IDENTITY_POOL_ID,
        unauthenticated_identities_enabled=False,
        refresh={"margin_seconds": 10},
        storage={"kind": "memory"},
    )
    assert cfg.region == "us-east-1"
    assert cfg.user_pool_id is None
    assert cfg.identity_pool_id == US_IDENTITY_POOL_ID
    assert cfg.allow_guest is False
    assert cfg.refresh_margin_seconds == 10.0
    assert cfg.refresh_jitter_seconds == 30.0
    assert cfg.storage_kind == "memory"
    assert cfg.oidc_providers["corp"].issuer == "https://idp.example.com"


def test_override_on_empty_config() -> None:
    cfg = load_config({}, identity_pool_id=IDENTITY_POOL_ID)
    assert cfg.identity_pool_id == IDENTITY_POOL_ID
    assert cfg.region == REGION


def test_overrides_are_validated() -> None:
    err = _error({}, identity_pool_id="not-a-pool")
    assert "auth.identity_pool_id" in err.message


def test_unknown_override() -> None:
    err = _error({}, identity_pol_id=IDENTITY_POOL_ID)
    assert "identity_pol_id" in err.message
    assert "identity_pool_id" in err.recovery_suggestion


# --- bad input: every error names the key -------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "eu-west-1",
        "eu-west-1:not-a-uuid",
        "eu-west-1_0f3d2c1b-aaaa-4bbb-8ccc-0123456789ab",
        "0f3d2c1b-aaaa-4bbb-8ccc-0123456789ab",
        "EU-WEST-1:0f3d2c1b-aaaa-4bbb-8ccc-0123456789ab",
        IDENTITY_POOL_ID + "\n",
        "",
        42,
    ],
)
def test_malformed_identity_pool_id(bad: Any) -> None:
    err = _error({"auth": {"identity_pool_id": bad}})
    assert "auth.identity_pool_id" in err.message


@pytest.mark.parametrize("bad", ["Europe", "eu_west_1", "eu-west", "us-east-1 ", "us-east-1\n", 1])
def test_malformed_region(bad: Any) -> None:
    err = _error({"auth": {"aws_region": bad}})
    assert "auth.aws_region" in err.message


@pytest.mark.parametrize("bad", ["us-east-1", "us-east-1_", "pool_abc", "us-east-1_ab-c"])
def test_malformed_user_pool_id(bad: str) -> None:
    err = _error({"auth": {"user_pool_id": bad}})
    assert "auth.user_pool_id" in err.message


def test_malformed_user_pool_client_id() -> None:
    err = _error({"auth": {"user_pool_client_id": "has spaces in it"}})
    assert "auth.user_pool_client_id" in err.message


@pytest.mark.parametrize(
    ("key", "value"),
    [("identity_pool_id", US_IDENTITY_POOL_ID), ("user_pool_id", "us-east-1_AbC123")],
)
def test_region_mismatch_names_both_regions(key: str, value: str) -> None:
    err = _error({"auth": {"aws_region": REGION, key: value}})
    assert f"auth.{key}" in err.message
    assert "us-east-1" in err.message
    assert REGION in err.message


def test_region_mismatch_between_user_pool_and_identity_pool() -> None:
    err = _error({"auth": {"user_pool_id": USER_POOL_ID, "identity_pool_id": US_IDENTITY_POOL_ID}})
    assert "auth.identity_pool_id" in err.message
    assert "us-east-1" in err.message
    assert REGION in err.message


@pytest.mark.parametrize("bad", ["true", 1, 0, "yes"])
def test_unauthenticated_identities_enabled_must_be_bool(bad: Any) -> None:
    err = _error({"auth": {"unauthenticated_identities_enabled": bad}})
    assert "auth.unauthenticated_identities_enabled" in err.message


@pytest.mark.parametrize("section", ["auth", "nbauth"])
def test_sections_must_be_objects(section: str) -> None:
    err = _error({section: ["not", "an", "object"]})
    assert section in err.message


def test_unknown_nbauth_key_is_a_typo(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "nbauth", oidc_provider={}))
    assert "nbauth.oidc_provider" in err.message


def test_unknown_refresh_key(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "nbauth.refresh", margin=10))
    assert "nbauth.refresh.margin" in err.message


def test_oauth_without_domain(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "auth.oauth", domain=_DELETE))
    assert "auth.oauth.domain" in err.message


def test_oauth_scopes_must_be_strings(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "auth.oauth", scopes="openid email"))
    assert "auth.oauth.scopes" in err.message


@pytest.mark.parametrize("missing", ["issuer", "client_id"])
def test_oidc_provider_missing_required_key(outputs: dict[str, Any], missing: str) -> None:
    err = _error(_with(outputs, "nbauth.oidc_providers.corp", **{missing: _DELETE}))
    assert f"nbauth.oidc_providers.corp.{missing}" in err.message


@pytest.mark.parametrize("bad", ["idp.example.com", "ftp://idp.example.com", "", 7])
def test_oidc_provider_bad_issuer(outputs: dict[str, Any], bad: Any) -> None:
    err = _error(_with(outputs, "nbauth.oidc_providers.corp", issuer=bad))
    assert "nbauth.oidc_providers.corp.issuer" in err.message


def test_oidc_provider_unknown_key(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "nbauth.oidc_providers.corp", client_secrett="x"))
    assert "nbauth.oidc_providers.corp.client_secrett" in err.message


def test_oidc_provider_must_be_an_object(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "nbauth.oidc_providers", corp="https://idp.example.com"))
    assert "nbauth.oidc_providers.corp" in err.message


def test_oidc_provider_bad_scopes(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "nbauth.oidc_providers.corp", scopes=["openid", 3]))
    assert "nbauth.oidc_providers.corp.scopes" in err.message


def test_default_provider_must_be_configured(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "nbauth", default_provider="google"))
    assert "nbauth.default_provider" in err.message
    assert "corp" in err.message


@pytest.mark.parametrize("key", ["margin_seconds", "jitter_seconds"])
@pytest.mark.parametrize("bad", [-1, -0.5, True, False, "300"])
def test_bad_refresh_numbers(outputs: dict[str, Any], key: str, bad: Any) -> None:
    err = _error(_with(outputs, "nbauth.refresh", **{key: bad}))
    assert f"nbauth.refresh.{key}" in err.message


def test_nan_margin_from_json_file(tmp_path) -> None:
    # Python's json module accepts the non-standard NaN literal.
    path = tmp_path / "amplify_outputs.json"
    path.write_text('{"nbauth": {"refresh": {"margin_seconds": NaN}}}', encoding="utf-8")
    err = _error(path)
    assert "nbauth.refresh.margin_seconds" in err.message


def test_zero_margin_is_allowed(outputs: dict[str, Any]) -> None:
    cfg = load_config(_with(outputs, "nbauth.refresh", margin_seconds=0, jitter_seconds=0))
    assert cfg.refresh_margin_seconds == 0.0
    assert cfg.refresh_jitter_seconds == 0.0


def test_refresh_background_must_be_bool(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "nbauth.refresh", background="no"))
    assert "nbauth.refresh.background" in err.message


@pytest.mark.parametrize("bad", ["redis", "Memory", "", 3])
def test_bad_storage_kind(outputs: dict[str, Any], bad: Any) -> None:
    err = _error(_with(outputs, "nbauth.storage", kind=bad))
    assert "nbauth.storage.kind" in err.message


def test_unknown_storage_key_is_a_typo(outputs: dict[str, Any]) -> None:
    # The nbauth section is "checked strictly, so a typo is reported" (config.py docstring).
    err = _error(_with(outputs, "nbauth.storage", path=_DELETE, pth="/tmp/cache"))
    assert "nbauth.storage.pth" in err.message


def test_storage_path_must_be_a_string(outputs: dict[str, Any]) -> None:
    err = _error(_with(outputs, "nbauth.storage", path=["/tmp"]))
    assert "nbauth.storage.path" in err.message


@pytest.mark.parametrize(
    "text", ["{not json", "", '{"auth": {"aws_region": "eu-west-1",}}', "{'auth': {}}"]
)
def test_invalid_json_file(tmp_path, text: str) -> None:
    path = tmp_path / "amplify_outputs.json"
    path.write_text(text, encoding="utf-8")
    err = _error(path)
    assert str(path) in err.message
    assert err.underlying is not None


def test_non_utf8_file(tmp_path) -> None:
    # e.g. a file re-saved as UTF-16 by a Windows editor
    path = tmp_path / "amplify_outputs.json"
    path.write_bytes(json.dumps({"auth": {}}).encode("utf-16"))
    err = _error(path)
    assert str(path) in err.message


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_path(tmp_path, kind: str) -> None:
    path = tmp_path / "nope.json"
    if kind == "directory":
        path.mkdir()
    err = _error(path)
    assert str(path) in err.message
    assert isinstance(err.underlying, OSError)


@pytest.mark.parametrize("top", [[{"auth": {}}], "a string", 3, None])
def test_json_top_level_must_be_an_object(tmp_path, top: Any) -> None:
    path = tmp_path / "amplify_outputs.json"
    path.write_text(json.dumps(top), encoding="utf-8")
    err = _error(path)
    assert str(path) in err.message
    assert "object" in err.message


@pytest.mark.parametrize("bad", [42, 4.2, b"{}", ["auth"], object()])
def test_config_of_wrong_type(bad: Any) -> None:
    err = _error(bad)
    assert type(bad).__name__ in err.message


# --- secrets ------------------------------------------------------------------------------------


def test_repr_never_shows_client_secret(outputs: dict[str, Any]) -> None:
    cfg = load_config(outputs)
    assert cfg.oidc_providers["corp"].client_secret == CLIENT_SECRET
    assert CLIENT_SECRET not in repr(cfg)
    assert CLIENT_SECRET not in str(cfg)
    assert CLIENT_SECRET not in repr(cfg.oidc_providers["corp"])
    assert CLIENT_SECRET not in repr(dict(cfg.oidc_providers))


def test_error_messages_never_show_client_secret(outputs: dict[str, Any]) -> None:
    data = _with(outputs, "nbauth.oidc_providers.corp", issuer="not a url")
    err = _error(data)
    assert CLIENT_SECRET not in str(err)
    assert CLIENT_SECRET not in repr(err)
