"""Add or replace one profile in the AWS shared config file, leaving the rest byte-for-byte.

``configparser`` would rewrite the whole file (dropping comments, reflowing values), so this is
a line-based edit: the ``[profile NAME]`` section (``[default]`` for ``default``) is found by its
header; the keys being set are replaced where they stand (with their indented continuation
lines), keys set to ``None`` are removed, missing ones are added after the section's last key,
and every other line — other sections, comments, blank lines, the section's other keys — is
kept as it was. A new section
is appended at the end. The file is written atomically (temp file + rename), keeping its mode
(0600 for a new file, in a 0700 directory).

Example::

    set_profile(aws_config_path(), "notebook",
                {"credential_process": "nbauth credential-process", "region": "eu-west-1"})
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["aws_config_path", "section_name", "set_profile", "update_profile_text"]

_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(?:[#;].*)?$")
_KEY = re.compile(r"^([A-Za-z0-9_.\-]+)\s*[=:]")


def aws_config_path() -> Path:
    """``$AWS_CONFIG_FILE``, else ``~/.aws/config`` (as the AWS CLI and botocore)."""
    return Path(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()


def section_name(profile: str) -> str:
    """The header of ``profile`` in the config file: ``default`` or ``profile NAME``."""
    return "default" if profile == "default" else f"profile {profile}"


def _header_name(line: str) -> str | None:
    match = _HEADER.match(line)
    return " ".join(match.group(1).split()) if match else None


def update_profile_text(text: str, profile: str, values: Mapping[str, str | None]) -> str:
    """``text`` with ``profile``'s keys set to ``values`` (``None``: the key removed); every
    other line unchanged."""
    lines = text.splitlines(keepends=True)
    wanted = section_name(profile)
    start = next((i for i, line in enumerate(lines) if _header_name(line) == wanted), None)
    if start is None:
        prefix = "" if not text or text.endswith("\n") else "\n"
        gap = "\n" if text.strip() else ""
        block = "".join(f"{key} = {value}\n" for key, value in values.items() if value is not None)
        return f"{text}{prefix}{gap}[{wanted}]\n{block}"
    end = next(
        (i for i in range(start + 1, len(lines)) if _header_name(lines[i]) is not None),
        len(lines),
    )
    section = lines[start + 1 : end]
    if section and not section[-1].endswith("\n"):
        section[-1] += "\n"
    kept: list[str] = []
    done: set[str] = set()
    last_key = -1  # index in ``kept`` after which missing keys go
    skipping = False
    for line in section:
        if skipping and line.strip() and line[:1].isspace():
            continue  # a continuation line of a value being replaced
        skipping = False
        match = _KEY.match(line)
        if match and match.group(1) in values and values[match.group(1)] is None:
            skipping = True  # a key to remove, with its continuation lines
            continue
        if match and match.group(1) in values and match.group(1) not in done:
            key = match.group(1)
            kept.append(f"{key} = {values[key]}\n")
            done.add(key)
            skipping = True
            last_key = len(kept) - 1
            continue
        if match and match.group(1) in values:
            skipping = True  # a duplicate of a key already set: drop it
            continue
        kept.append(line)
        if match or (line.strip() and line[:1].isspace() and last_key == len(kept) - 2):
            last_key = len(kept) - 1
    missing = [
        f"{key} = {value}\n"
        for key, value in values.items()
        if key not in done and value is not None
    ]
    kept[last_key + 1 : last_key + 1] = missing
    return "".join([*lines[: start + 1], *kept, *lines[end:]])


def set_profile(
    path: str | os.PathLike[str], profile: str, values: Mapping[str, str | None]
) -> Path:
    """Write ``values`` into ``profile``'s section of the config file at ``path`` (a ``None``
    value removes that key)."""
    target = Path(path).expanduser()
    try:
        text = target.read_text(encoding="utf-8")
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        text, mode = "", 0o600
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    updated = update_profile_text(text, profile, values)
    real = target.resolve()  # a symlinked config file stays a symlink
    fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(updated)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target
