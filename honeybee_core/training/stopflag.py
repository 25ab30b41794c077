"""SIGTERM/SIGINT -> a flag; kept free of heavy imports so it is installed before torch loads."""

from __future__ import annotations

import signal
from typing import Any


class StopFlag:
    """Set by SIGTERM/SIGINT; the handler only flips a bool (safe inside a signal handler)."""

    def __init__(self) -> None:
        self.requested = False
        self.signal_name: str | None = None

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        self.requested = True
        self.signal_name = signal.Signals(signum).name
