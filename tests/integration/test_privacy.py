"""Privacy: with local models only, the app opens no network connection and writes only where it was told to.

The real app runs in a child process with an audit hook installed before it starts. The hook
records every network call, every path written and every program started at the Python level;
what C code (Qt, llama.cpp, fontconfig) does is caught by a snapshot of the fake home, XDG,
temporary and working folders before and after, and by watching the process's internet sockets.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny.toml"

# Runs in the child: the hook first, then the app exactly as `python -m gui` starts it.
LAUNCH = r'''
import json, os, sys, threading

_record = open(os.environ.pop("AUDIT_RECORD"), "w", buffering=1)
_lock = threading.Lock()
_INET = (2, 10)  # AF_INET, AF_INET6
# event -> which of its arguments name a path written (created, changed, renamed or removed)
WRITES = {
    "open": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.remove": (0,), "os.rmdir": (0,),
    "os.truncate": (0,), "os.symlink": (1,), "os.link": (1,), "os.chmod": (0,), "os.chown": (0,),
    "os.utime": (0,), "os.mkfifo": (0,), "os.mknod": (0,), "os.setxattr": (0,), "os.removexattr": (0,),
    "shutil.copyfile": (1,), "shutil.copymode": (1,), "shutil.copystat": (1,), "shutil.copytree": (1,),
    "shutil.rmtree": (0,), "shutil.move": (0, 1), "shutil.make_archive": (0,), "shutil.unpack_archive": (1,),
    "shutil.chown": (0,), "tempfile.mkstemp": (0,), "tempfile.mkdtemp": (0,), "sqlite3.connect": (0,),
}
NETWORK = {
    "socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo", "urllib.Request",
    "http.client.connect", "ftplib.connect", "smtplib.connect", "webbrowser.open",
}
PROGRAMS = {"subprocess.Popen", "os.posix_spawn", "os.exec", "os.system", "os.spawn", "os.startfile"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _note(kind, **what):
    with _lock:
        _record.write(json.dumps({"kind": kind, **what}, default=repr) + "\n")


def _path(value):
    if isinstance(value, int) or value is None:
        return None  # a file descriptor: its path was recorded when it was opened
    value = os.fsdecode(value)
    if value in ("", ":memory:") or value.startswith("file::memory:"):
        return None
    return os.path.abspath(value)


def _hook(event, args):
    try:
        if event in WRITES:
            if event == "open":
                _, mode, flags = args
                if not (mode and set(mode) & set("wax+")) and not (flags or 0) & _WRITE_FLAGS:
                    return
            for index in WRITES[event]:
                path = _path(args[index]) if index < len(args) else None
                if path:
                    _note("write", event=event, path=path)
        elif event in NETWORK or (event == "socket.__new__" and args[1] in _INET):
            _note("network", event=event, args=[repr(a) for a in args])
        elif event in PROGRAMS:
            # subprocess.Popen(executable, args, ...), os.system(command), os.spawn(mode, path, ...), others (path, ...)
            command = {"subprocess.Popen": args[1], "os.spawn": args[1]}.get(event, args[0])
            first = command[0] if isinstance(command, (list, tuple)) else os.fsdecode(command).split()[0]
            _note("program", event=event, program=os.path.basename(os.fsdecode(first)), command=repr(command))
    except Exception as error:  # the hook must never break the app it watches
        _note("hook-error", event=event, error=repr(error))


def _watch_sockets():
    """C code's connections pass no audit hook: look at the process's internet sockets instead."""
    import psutil

    me = psutil.Process()
    seen = set()
    try:
        while True:
            for conn in me.net_connections(kind="inet"):
                key = (conn.laddr, conn.raddr, conn.status)
                if key not in seen:
                    seen.add(key)
                    _note("network", event="socket seen", args=[repr(key)])
            threading.Event().wait(0.1)
    except Exception as error:  # a watcher that stopped must fail the test, not go quiet
        _note("hook-error", event="socket watch", error=repr(error))


sys.addaudithook(_hook)
threading.Thread(target=_watch_sockets, daemon=True).start()
from gui.cli import main

sys.exit(main(sys.argv[1:]))
'''

# Programs the app may start: both only read facts about this machine, and neither talks to a network.
ALLOWED_PROGRAMS = {
    "fc-list",  # matplotlib lists the system fonts once, to build its font cache (in the data directory)
    "uname",  # platform.processor() names the CPU for the machine recorded with each round
}


@dataclass
class Sandbox:
    """Folders of a fake user: the ones the app may write to, and the ones it must leave alone."""

    root: Path
    data: Path
    out: Path
    watched: dict[str, Path]  # must stay as they were

    def env(self) -> dict[str, str]:
        home = self.watched["home"]
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "XDG_RUNTIME_DIR": str(self.watched["runtime"]),
            "TMPDIR": str(self.watched["tmp"]),
            "QT_QPA_PLATFORM": "offscreen",
            "GGUF_ARENA_DATA": str(self.data),
            # Bytecode caches are the interpreter's, not the app's (an installed app ships them compiled);
            # they would otherwise be written beside the sources.
            "PYTHONDONTWRITEBYTECODE": "1",
        }


@dataclass
class Run:
    """What one audited command did."""

    command: list[str]
    returncode: int
    output: str
    writes: set[str]
    network: list[dict]
    programs: list[str]  # the names of the programs started
    hook_errors: list[dict]
    changed_outside: list[str]  # files and folders that appeared or changed in the watched folders


def snapshot(folders: dict[str, Path]) -> dict[str, tuple]:
    """Every file and folder under the watched folders, with its size and modification time."""
    found = {}
    for name, folder in folders.items():
        for path in [folder, *folder.rglob("*")]:
            stat = path.lstat()
            found[f"{name}/{path.relative_to(folder)}"] = (stat.st_size, stat.st_mtime_ns)
    return found


def run_audited(sandbox: Sandbox, name: str, *args: str) -> Run:
    record = sandbox.root / f"audit-{name}.jsonl"
    before = snapshot(sandbox.watched)
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        env={**sandbox.env(), "AUDIT_RECORD": str(record)},
        cwd=sandbox.watched["work"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    after = snapshot(sandbox.watched)
    events = [json.loads(line) for line in record.read_text().splitlines()]
    return Run(
        command=list(args),
        returncode=done.returncode,
        output=(done.stdout + done.stderr)[-3000:],
        writes={e["path"] for e in events if e["kind"] == "write"},
        network=[e for e in events if e["kind"] == "network"],
        programs=[e["program"] for e in events if e["kind"] == "program"],
        hook_errors=[e for e in events if e["kind"] == "hook-error"],
        changed_outside=sorted(path for path, stamp in after.items() if before.get(path) != stamp
                               and path.split("/", 1)[1] != "."),  # a folder's own time changes with its entries
    )


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Sandbox:
    root = tmp_path_factory.mktemp("privacy")
    watched = {name: root / name for name in ("home", "tmp", "work", "runtime")}
    for folder in watched.values():
        folder.mkdir(mode=0o700)  # XDG_RUNTIME_DIR must be private, or Qt complains
    for xdg in (".config", ".cache", ".local/share", ".local/state"):
        (watched["home"] / xdg).mkdir(parents=True)
    return Sandbox(root, data=root / "data", out=root / "smoke-out", watched=watched)


@pytest.fixture(scope="module")
def runs(sandbox, default_pair) -> dict[str, Run]:
    """The self-check, a small batch and a report, one after the other, as a user would run them."""
    left, right = default_pair
    return {
        "smoke": run_audited(sandbox, "smoke", "smoke", "--out", str(sandbox.out), "--left", left, "--right", right),
        "batch": run_audited(sandbox, "batch", "batch", "--left", left, "--right", right, "--suite", str(SUITE),
                             "--max-tokens", "8"),
        "report": run_audited(sandbox, "report", "report"),
    }


COMMANDS = ["smoke", "batch", "report"]


@pytest.mark.parametrize("name", COMMANDS)
def test_the_command_ran_and_the_hook_saw_it(runs, sandbox, name):
    run = runs[name]
    assert run.returncode == 0, run.output
    assert not run.hook_errors
    # The hook is live: the results database is opened through sqlite3.connect.
    assert str(sandbox.data / "results.sqlite") in run.writes


@pytest.mark.parametrize("name", COMMANDS)
def test_no_network_connection_is_opened(runs, name):
    assert runs[name].network == []


@pytest.mark.parametrize("name", COMMANDS)
def test_only_programs_that_read_local_facts_are_started(runs, name):
    assert set(runs[name].programs) <= ALLOWED_PROGRAMS


@pytest.mark.parametrize("name", COMMANDS)
def test_python_writes_only_into_the_data_folder_and_the_chosen_output(runs, sandbox, name):
    allowed = [sandbox.data, sandbox.out]  # the data directory, and the --out folder the smoke was given
    allowed = [os.path.realpath(folder) for folder in allowed]
    outside = sorted(
        path for path in runs[name].writes
        if path != os.devnull  # subprocess points a program's unused streams there
        and not any(os.path.realpath(path) == folder or os.path.realpath(path).startswith(folder + os.sep)
                    for folder in allowed)
    )
    assert outside == []


@pytest.mark.parametrize("name", COMMANDS)
def test_nothing_appears_in_home_xdg_temporary_or_working_folders(runs, name):
    assert runs[name].changed_outside == []


def test_the_data_folder_holds_the_results_the_log_and_matplotlib_s_cache(runs, sandbox):
    data = sandbox.data
    assert (data / "results.sqlite").is_file() and (data / "gguf-arena.log").is_file()
    assert any((data / "matplotlib").glob("fontlist-*.json"))
    assert any(data.glob("reports/*/report.html"))
    assert (sandbox.out / "screenshot.png").is_file()
