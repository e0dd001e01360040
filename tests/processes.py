"""Run Python in a child process and SIGKILL it the moment it reports a step done."""

import signal
import subprocess
import sys


def kill_after(script: str, line: str) -> int:
    """Start `script`, wait for it to print `line`, SIGKILL it; returns its exit code (-9)."""
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == line, "the child died before it got there"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    return child.returncode
