"""Two scroll bars that move together, at the same fraction of their ranges."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QScrollBar


class ScrollLink(QObject):
    """While enabled, moving either bar moves the other to the same fraction of its own range.

    Moving the other bar makes it emit valueChanged in turn; a flag drops that echo rather
    than sending it back, which with rounding could otherwise nudge the first bar again.
    """

    def __init__(self, first: QScrollBar, second: QScrollBar, parent: QObject | None = None):
        super().__init__(parent)
        self._first = first
        self._second = second
        self._enabled = False
        self._moving = False
        first.valueChanged.connect(self._on_first_moved)
        second.valueChanged.connect(self._on_second_moved)

    def is_enabled(self) -> bool:
        return self._enabled

    @Slot(bool)
    def set_enabled(self, enabled: bool) -> None:
        """Link (True) or unlink the bars; linking brings the second bar level with the first."""
        self._enabled = enabled
        if enabled:
            self._follow(self._first, self._second)

    @Slot()
    def _on_first_moved(self) -> None:
        self._follow(self._first, self._second)

    @Slot()
    def _on_second_moved(self) -> None:
        self._follow(self._second, self._first)

    def _follow(self, leader: QScrollBar, follower: QScrollBar) -> None:
        if not self._enabled or self._moving:
            return
        span = leader.maximum() - leader.minimum()
        fraction = (leader.value() - leader.minimum()) / span if span else 0.0
        self._moving = True
        try:
            follower.setValue(follower.minimum() + round(fraction * (follower.maximum() - follower.minimum())))
        finally:
            self._moving = False
