"""Recording the events an ``Auth`` publishes on its Hub's ``auth`` channel."""

from __future__ import annotations

from typing import Any

import nbauth


class Recorder:
    """Collects Hub events on the auth channel (from construction until ``stop()``)."""

    def __init__(self, hub: nbauth.Hub) -> None:
        self.events: list[dict[str, Any]] = []
        self.stop = hub.listen("auth", self.events.append)

    def names(self) -> list[str]:
        return [e["payload"]["event"] for e in self.events]
