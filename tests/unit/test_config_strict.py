"""Strict configuration (issue 13, item 3): every unknown key gets a did-you-mean, Amplify Gen 1
and Amplify JS configurations are recognised and translated, a useless configuration is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import nbauth
from nbauth.config import AuthConfig, load_config
from nbauth.errors import AuthError, ConfigurationError

REGION = "eu-west-1"
USER_POOL_ID = "eu-west-1_AbC123xyz"
CLIENT_ID = "4n1kq9d2v3example7client0id"
IDENTITY_POOL_ID = "eu-west-1:0f3d2c1b-aaaa-4bbb-8ccc-0123456789ab"
ISSUER = "https://idp.example.com"


def _error(config: Any, **overrides: Any) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        load_config(config, **overrides)
    err = info.value
    assert isinstance(err, AuthError) and err.name == "ConfigurationError"
    assert err.recovery_suggestion and err.recovery_suggestion.strip()
    return err


def _outputs(**sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "1.4",
        "auth": {"aws_region": REGION, "identity_pool_id": IDENTITY_POOL_ID},
        "nbauth": {
            "oidc_providers": {"corp": {"issuer": ISSUER, "client_id": "nbauth"}},
            "refresh": {"margin_seconds": 60},
            "storage": {"kind": "memory"},
        },
    }
    data.update(sections)
    return data


# --- did you mean ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "shown", "suggested"),
    [
        (lambda d: d.__setitem__("atuh", d.pop("auth")), "'atuh'", "auth"),
        (lambda d: d.__setitem__("nbauht", d.pop("nbauth")), "'nbauht'", "nbauth"),
        (
            lambda d: d["auth"].__setitem__("identiy_pool_id", d["auth"].pop("identity_pool_id")),
            "'auth.identiy_pool_id'",
            "identity_pool_id",
        ),
        (
            lambda d: d["auth"].__setitem__(
                "oauth", {"domian": "x.auth.eu-west-1.amazoncognito.com"}
            ),
            "'auth.oauth.domian'",
            "domain",
        ),
        (
            lambda d: d["nbauth"].__setitem__("default_provder", "corp"),
            "'nbauth.default_provder'",
            "default_provider",
        ),
        (
            lambda d: d["nbauth"]["refresh"].__setitem__("margin_second", 10),
            "'nbauth.refresh.margin_second'",
            "margin_seconds",
        ),
        (
            lambda d: d["nbauth"]["storage"].__setitem__("pth", "/tmp/x"),
            "'nbauth.storage.pth'",
            "path",
        ),
        (
            lambda d: d["nbauth"]["oidc_providers"]["corp"].__setitem__("scope", ["openid"]),
            "'nbauth.oidc_providers.corp.scope'",
            "scopes",
        ),
        (
            lambda d: d["nbauth"]["oidc_providers"]["corp"].__setitem__("authorise_params", {}),
            "'nbauth.oidc_providers.corp.authorise_params'",
            "authorize_params",
        ),
    ],
)
def test_every_unknown_key_names_itself_and_the_closest_allowed_one(
    mutate: Any, shown: str, suggested: str
) -> None:
    data = _outputs()
    mutate(data)
    err = _error(data)
    assert shown in err.message
    assert f"did you mean '{suggested}'?" in err.message
    assert suggested in err.recovery_suggestion  # the allowed keys are listed


def test_an_unknown_override_gets_a_suggestion_too() -> None:
    err = _error(_outputs(), identiy_pool_id=IDENTITY_POOL_ID)
    assert "configure() got an unknown setting 'identiy_pool_id'" in err.message
    assert "did you mean 'identity_pool_id'?" in err.message


def test_a_key_close_to_nothing_lists_what_is_allowed() -> None:
    data = _outputs()
    data["auth"]["zzzz"] = 1
    err = _error(data)
    assert "'auth.zzzz'" in err.message and "did you mean" not in err.message
    assert "identity_pool_id" in err.message


def test_every_key_of_amplifys_outputs_schema_is_accepted() -> None:
    # Amplify Gen 2's schema_v1.5.json: the top level and every auth key, as `ampx` writes them.
    data = {
        "$schema": "https://amplify.aws/2024-02/outputs-schema.json",
        "version": "1.4",
        "analytics": {"amazon_pinpoint": {"aws_region": REGION, "app_id": "x"}},
        "auth": {
            "aws_region": REGION,
            "user_pool_id": USER_POOL_ID,
            "user_pool_client_id": CLIENT_ID,
            "identity_pool_id": IDENTITY_POOL_ID,
            "password_policy": {"min_length": 8, "require_numbers": True},
            "oauth": {
                "identity_providers": ["GOOGLE"],
                "domain": "x.auth.eu-west-1.amazoncognito.com",
                "scopes": ["openid"],
                "redirect_sign_in_uri": ["http://localhost:3000/"],
                "redirect_sign_out_uri": ["http://localhost:3000/"],
                "response_type": "code",
            },
            "standard_required_attributes": ["email"],
            "username_attributes": ["email"],
            "user_verification_types": ["email"],
            "unauthenticated_identities_enabled": True,
            "mfa_configuration": "OPTIONAL",
            "mfa_methods": ["TOTP"],
            "passwordless": {"email_otp_enabled": True},
            "groups": [{"ADMINS": {"precedence": 0}}],
        },
        "data": {"aws_region": REGION, "url": "https://x.appsync-api.eu-west-1.amazonaws.com"},
        "geo": {"aws_region": REGION},
        "notifications": {"aws_region": REGION},
        "storage": {"aws_region": REGION, "bucket_name": "b"},
        "custom": {"anything": 1},
    }
    cfg = load_config(data)
    assert cfg.user_pool_id == USER_POOL_ID and cfg.allow_guest is True


def test_a_file_with_a_misspelled_section_is_named(tmp_path: Path) -> None:
    path = tmp_path / "amplify_outputs.json"
    path.write_text(json.dumps({"version": "1.4", "atuh": {"aws_region": REGION}}))
    err = _error(path)
    assert "'atuh'" in err.message and "did you mean 'auth'?" in err.message


# --- Amplify Gen 1 and Amplify JS ----------------------------------------------------------------

AWS_EXPORTS_JS = """/* eslint-disable */
// WARNING: DO NOT EDIT. This file is automatically generated by AWS Amplify.

const awsmobile = {
    "aws_project_region": "eu-west-1",
    "aws_cognito_identity_pool_id": "eu-west-1:0f3d2c1b-aaaa-4bbb-8ccc-0123456789ab",
    "aws_cognito_region": "eu-west-1",
    "aws_user_pools_id": "eu-west-1_AbC123xyz",
    "aws_user_pools_web_client_id": "4n1kq9d2v3example7client0id",
    "oauth": {
        "domain": "myapp-dev.auth.eu-west-1.amazoncognito.com",
        "scope": [
            "phone",
            "email",
            "openid",
            "profile",
            "aws.cognito.signin.user.admin"
        ],
        "redirectSignIn": "http://localhost:3000/,https://app.example.com/",
        "redirectSignOut": "http://localhost:3000/",
        "responseType": "code"
    },
    "federationTarget": "COGNITO_USER_POOLS",
    "aws_cognito_username_attributes": [
        "EMAIL"
    ],
    "aws_cognito_social_providers": [
        "GOOGLE",
        "APPLE"
    ],
    "aws_cognito_signup_attributes": [
        "EMAIL"
    ],
    "aws_cognito_mfa_configuration": "OFF",
    "aws_cognito_mfa_types": [
        "SMS"
    ],
    "aws_cognito_password_protection_settings": {
        "passwordPolicyMinLength": 8,
        "passwordPolicyCharacters": []
    },
    "aws_cognito_verification_mechanisms": [
        "EMAIL"
    ]
};


export default awsmobile;
"""

GEN2_EQUIVALENT = {
    "version": "1.4",
    "auth": {
        "aws_region": "eu-west-1",
        "user_pool_id": USER_POOL_ID,
        "user_pool_client_id": CLIENT_ID,
        "identity_pool_id": IDENTITY_POOL_ID,
        "oauth": {
            "identity_providers": ["GOOGLE", "SIGN_IN_WITH_APPLE"],
            "domain": "myapp-dev.auth.eu-west-1.amazoncognito.com",
            "scopes": ["phone", "email", "openid", "profile", "aws.cognito.signin.user.admin"],
            "redirect_sign_in_uri": ["http://localhost:3000/", "https://app.example.com/"],
            "redirect_sign_out_uri": ["http://localhost:3000/"],
            "response_type": "code",
        },
    },
}


def _pasted(err: ConfigurationError) -> Any:
    """The amplify_outputs.json the error offers, parsed (it must be valid JSON)."""
    text = err.recovery_suggestion
    return json.loads(text[text.index("{") :])


def test_aws_exports_js_is_recognised_and_translated(tmp_path: Path) -> None:
    path = tmp_path / "aws-exports.js"
    path.write_text(AWS_EXPORTS_JS)
    err = _error(path)
    assert "Amplify Gen 1" in err.message and "aws-exports.js" in err.message
    assert _pasted(err) == GEN2_EQUIVALENT
    # ... and what it offers is a configuration nbauth takes as it is.
    translated = tmp_path / "amplify_outputs.json"
    translated.write_text(json.dumps(_pasted(err)))
    cfg = load_config(translated)
    assert cfg.identity_pool_id == IDENTITY_POOL_ID and cfg.oauth is not None


def test_amplifyconfiguration_json_is_recognised_and_translated(tmp_path: Path) -> None:
    body = AWS_EXPORTS_JS[AWS_EXPORTS_JS.index("{") : AWS_EXPORTS_JS.rindex("}") + 1]
    path = tmp_path / "amplifyconfiguration.json"
    path.write_text(json.dumps(json.loads(body), indent=4))
    err = _error(path)
    assert "Amplify Gen 1" in err.message
    assert _pasted(err) == GEN2_EQUIVALENT


def test_a_gen1_dict_is_recognised() -> None:
    err = _error({"aws_project_region": REGION, "aws_cognito_identity_pool_id": IDENTITY_POOL_ID})
    assert _pasted(err) == {
        "version": "1.4",
        "auth": {"aws_region": REGION, "identity_pool_id": IDENTITY_POOL_ID},
    }


def test_amplify_js_v6_configuration_is_recognised_and_translated() -> None:
    v6 = {
        "Auth": {
            "Cognito": {
                "userPoolId": USER_POOL_ID,
                "userPoolClientId": CLIENT_ID,
                "identityPoolId": IDENTITY_POOL_ID,
                "allowGuestAccess": True,
                "loginWith": {
                    "oauth": {
                        "domain": "myapp-dev.auth.eu-west-1.amazoncognito.com",
                        "scopes": ["openid", "email"],
                        "redirectSignIn": ["http://localhost:3000/"],
                        "redirectSignOut": ["http://localhost:3000/"],
                        "responseType": "code",
                        "providers": ["Google", "Amazon", {"custom": "CorpOIDC"}],
                    }
                },
            }
        }
    }
    err = _error(v6)
    assert "Amplify JS" in err.message
    pasted = _pasted(err)
    assert pasted["auth"]["aws_region"] == REGION  # from the pool ids: v6 has no region key
    assert pasted["auth"]["unauthenticated_identities_enabled"] is True
    assert pasted["auth"]["oauth"]["identity_providers"] == [
        "GOOGLE",
        "LOGIN_WITH_AMAZON",
        "CorpOIDC",
    ]
    assert load_config(pasted).allow_guest is True


def test_a_javascript_file_that_cannot_be_read_still_gets_guidance(tmp_path: Path) -> None:
    path = tmp_path / "aws-exports.js"
    path.write_text("import config from './other';\nexport default config;\n")
    err = _error(path)
    assert "JavaScript" in err.message
    assert "amplify_outputs.json" in err.recovery_suggestion


# --- a configuration that leads nowhere ----------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"version": "1.4"},
        {"auth": {"aws_region": REGION}},
        {"auth": {"user_pool_client_id": CLIENT_ID}},
        {"nbauth": {"refresh": {"margin_seconds": 60}}},
    ],
)
def test_a_configuration_without_pool_or_provider_is_refused(config: dict[str, Any]) -> None:
    err = _error(config)
    assert "neither tokens nor AWS credentials" in err.message
    for what in ("auth.identity_pool_id", "auth.user_pool_id", "nbauth.oidc_providers"):
        assert what in err.recovery_suggestion


def test_configure_refuses_it_too() -> None:
    with pytest.raises(ConfigurationError, match="neither tokens nor AWS credentials"):
        nbauth.Auth({"auth": {"aws_region": REGION}})


@pytest.mark.parametrize(
    "config",
    [
        {"auth": {"identity_pool_id": IDENTITY_POOL_ID}},  # guest or federated credentials
        {"auth": {"user_pool_id": USER_POOL_ID, "user_pool_client_id": CLIENT_ID}},  # tokens
        {"nbauth": {"oidc_providers": {"corp": {"issuer": ISSUER, "client_id": "x"}}}},  # tokens
    ],
)
def test_one_pool_or_one_provider_is_enough(config: dict[str, Any]) -> None:
    assert isinstance(load_config(config), AuthConfig)


def test_a_built_authconfig_is_taken_as_it_is() -> None:
    # The way for code that brings its own credentials provider and needs no pool.
    auth = nbauth.Auth(AuthConfig(region=REGION))
    assert auth.config.region == REGION


def test_issuers_stay_https_only() -> None:
    from nbauth.errors import InsecureEndpointError

    with pytest.raises(InsecureEndpointError):
        load_config(
            {
                "nbauth": {
                    "oidc_providers": {"c": {"issuer": "http://idp.example", "client_id": "x"}}
                }
            }
        )
