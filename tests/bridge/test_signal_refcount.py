"""Guards the PySide6 pin: emitting a signal must not drop references to True (PySide6 6.12.0 on Python 3.11 did)."""

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    fired = Signal(object)


def test_emit_keeps_the_reference_count_of_true():
    emitter = Emitter()
    before = sys.getrefcount(True)
    for _ in range(1000):
        emitter.fired.emit(1)
    assert sys.getrefcount(True) - before > -100
