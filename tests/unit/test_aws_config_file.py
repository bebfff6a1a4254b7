"""The AWS config-file edit of ``configure-aws-profile``: one section changes, nothing else."""

from __future__ import annotations

import configparser
import os
import stat

from nbauth.aws.aws_config_file import aws_config_path, set_profile, update_profile_text

VALUES = {
    "credential_process": "/usr/bin/nbauth credential-process --profile work",
    "region": "eu-west-1",
}

ORIGINAL = """\
# my AWS config -- hand-written, keep my comments
[default]
region = us-east-1
output = json

; the team's profile
[profile team]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = default

[profile nb]
# set by nbauth
region = us-west-2
credential_process = old-command
    --with-continuation
output = text
# trailing comment of nb

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
"""


def _sections(text: str) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return {name: dict(parser[name]) for name in parser.sections()}


def test_a_new_profile_is_appended_and_everything_else_is_kept_byte_for_byte():
    updated = update_profile_text(ORIGINAL, "work", VALUES)
    assert updated.startswith(ORIGINAL)
    assert updated[len(ORIGINAL) :] == (
        "\n[profile work]\n"
        "credential_process = /usr/bin/nbauth credential-process --profile work\n"
        "region = eu-west-1\n"
    )
    assert _sections(updated)["profile work"] == VALUES


def test_an_existing_profile_is_replaced_in_place_keeping_its_other_keys_and_comments():
    updated = update_profile_text(ORIGINAL, "nb", VALUES)
    before, _, after = ORIGINAL.partition("[profile nb]\n")
    assert updated.startswith(before + "[profile nb]\n")
    assert updated.endswith(after[after.index("output = text") :])
    assert "old-command" not in updated and "--with-continuation" not in updated
    assert "# set by nbauth\nregion = eu-west-1\n" in updated
    assert _sections(updated)["profile nb"] == {**VALUES, "output": "text"}
    assert _sections(updated)["profile team"] == _sections(ORIGINAL)["profile team"]


def test_missing_keys_go_after_the_last_key_before_trailing_comments():
    text = "[profile nb]\noutput = json\n# about the next section\n\n[profile other]\nx = 1\n"
    updated = update_profile_text(text, "nb", VALUES)
    assert updated == (
        "[profile nb]\noutput = json\n"
        "credential_process = /usr/bin/nbauth credential-process --profile work\n"
        "region = eu-west-1\n# about the next section\n\n[profile other]\nx = 1\n"
    )


def test_default_uses_the_bare_header_and_no_trailing_newline_is_handled():
    updated = update_profile_text("[profile a]\nregion = x", "default", {"region": "y"})
    assert updated == "[profile a]\nregion = x\n\n[default]\nregion = y\n"
    assert update_profile_text("", "a", {"region": "y"}) == "[profile a]\nregion = y\n"
    assert update_profile_text("[default]\nregion = x", "default", {"region": "y"}) == (
        "[default]\nregion = y\n"
    )


def test_a_header_with_extra_spaces_is_the_same_section():
    updated = update_profile_text("[ profile   nb ]\nregion = x\n", "nb", {"region": "y"})
    assert updated == "[ profile   nb ]\nregion = y\n"


def test_set_profile_writes_atomically_keeping_the_mode_and_a_new_file_is_private(tmp_path):
    existing = tmp_path / "config"
    existing.write_text(ORIGINAL)
    os.chmod(existing, 0o640)
    set_profile(existing, "work", VALUES)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    assert existing.read_text().startswith(ORIGINAL)
    fresh = tmp_path / "new" / ".aws" / "config"
    set_profile(fresh, "work", VALUES)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert _sections(fresh.read_text()) == {"profile work": VALUES}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config", "new"]  # no temp file left


def test_aws_config_file_respects_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "cfg"))
    assert aws_config_path() == tmp_path / "cfg"
    monkeypatch.delenv("AWS_CONFIG_FILE")
    assert aws_config_path().parts[-2:] == (".aws", "config")


def test_a_key_set_to_none_is_removed_with_its_continuation_lines() -> None:
    text = (
        "[profile nb]\n"
        "credential_process = old\n"
        "endpoint_url = http://127.0.0.1:5000\n"
        "s3 =\n"
        "  addressing_style = path\n"
        "region = eu-west-1\n"
        "[profile other]\n"
        "endpoint_url = http://keep.example\n"
    )
    updated = update_profile_text(text, "nb", {"credential_process": "new", "endpoint_url": None})
    assert updated == (
        "[profile nb]\n"
        "credential_process = new\n"
        "s3 =\n"
        "  addressing_style = path\n"
        "region = eu-west-1\n"
        "[profile other]\n"
        "endpoint_url = http://keep.example\n"
    )
    assert (
        update_profile_text("", "nb", {"a": "1", "endpoint_url": None}) == "[profile nb]\na = 1\n"
    )
