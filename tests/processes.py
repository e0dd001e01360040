"""Run Python in a child process: read the report it prints, or SIGKILL it the moment it reports a step done."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_report(script: str, *args: str, **env: str) -> dict:
    """Run `script` in a fresh Python (offscreen, `env` added to the environment); the JSON on its last output line."""
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def kill_after(script: str, line: str) -> int:
    """Start `script`, wait for it to print `line`, SIGKILL it; returns its exit code (-9)."""
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == line, "the child died before it got there"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    return child.returncode
