"""The ``pip install`` command to suggest in a message, as it works from where nbauth is installed.

A normal install gets ``pip install 'nbauth[notebook]'``; nbauth installed editable from a source
checkout (``pip install -e .``) gets ``pip install -e '/path/to/checkout[notebook]'`` — installing
``nbauth[notebook]`` from the package index there would replace the checkout with a release.

Whether nbauth is editable comes from the ``direct_url.json`` pip writes into the installed
distribution's metadata (PEP 610: ``{"url": "file:///…", "dir_info": {"editable": true}}``).
It lives in ``core/`` so that every layer (the storage backends here included) can use it; it
imports nothing but the standard library, and that only when a hint is asked for.
"""

from __future__ import annotations

__all__ = ["install_hint_for", "pip_install_hint", "source_checkout"]

DISTRIBUTION = "nbauth"


def source_checkout(direct_url: str | None) -> str | None:
    """The checkout directory if ``direct_url`` (a ``direct_url.json`` text) says editable."""
    import json
    from urllib.parse import unquote, urlparse
    from urllib.request import url2pathname

    if not direct_url:
        return None
    try:
        info = json.loads(direct_url)
    except ValueError:
        return None
    if not isinstance(info, dict):
        return None
    dir_info = info.get("dir_info")
    url = info.get("url")
    if not (isinstance(dir_info, dict) and dir_info.get("editable") is True):
        return None
    if not isinstance(url, str):
        return None
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    return url2pathname(unquote(parsed.path)) or None


def install_hint_for(extra: str, direct_url: str | None) -> str:
    """``pip install …`` for ``extra``, given the distribution's ``direct_url.json`` (or None)."""
    import shlex

    checkout = source_checkout(direct_url)
    if checkout is not None:
        return f"pip install -e {shlex.quote(f'{checkout}[{extra}]')}"
    return f"pip install {shlex.quote(f'{DISTRIBUTION}[{extra}]')}"


def _direct_url() -> str | None:
    """The first ``direct_url.json`` among the installed ``nbauth`` distributions.

    All of them, not only the first found: run from the checkout itself, the build's
    ``nbauth.egg-info`` in the source tree comes first on ``sys.path``, and it has none.
    """
    from importlib.metadata import distributions

    for dist in distributions(name=DISTRIBUTION):
        try:
            text = dist.read_text("direct_url.json")
        except OSError:
            continue
        if text:
            return text
    return None


def pip_install_hint(extra: str) -> str:
    """The command that installs nbauth's ``extra`` where this nbauth came from.

    ``pip install 'nbauth[notebook]'``, or ``pip install -e '/src/nbauth[notebook]'`` for an
    editable install from a source checkout.
    """
    return install_hint_for(extra, _direct_url())
