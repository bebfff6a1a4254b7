"""What the ``%nbauth`` commands need from the extension that registered them.

The commands see the extension only through :class:`MagicsHost` (a narrow protocol, so the
magics never import the extension and the extension is the only one that imports them).
:class:`~nbauth.notebook.notebook_extension.NotebookExtension` is the host in a kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = ["MagicsHost"]


class MagicsHost(Protocol):
    """The default Auth with the extension's hooks attached, and where sign-ins show."""

    #: The handle of the latest sign-in a ``%nbauth login`` started (``%nbauth status``).
    last_sign_in: Any
    #: Login widgets shown by ``%nbauth login --widget`` (closed on unload).
    widgets: list[Any]

    def auth(self, *, configure: bool = True) -> Auth | None:
        """The default Auth (made from the environment when ``configure``), hooks attached."""
        ...

    def attach(self, auth: Auth) -> None:
        """Manage ``auth`` (waits shown in cells, refresh stopped on unload)."""
        ...

    def show_sign_in_prompt(self, auth: Auth, handle: Any, *lines: Any) -> None:
        """Show how to complete ``handle`` in this cell; replaced when the sign-in ends."""
        ...

    def interrupted(self, handle: Any) -> None:
        """The kernel was interrupted while a cell waited for ``handle``."""
        ...
