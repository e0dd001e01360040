"""Loopback servers for the served-model tests: one that misbehaves on purpose, and real ones run as processes."""

import socket
import socketserver
import threading
from contextlib import contextmanager


class Request:
    """What a client sent: method, path, headers (lower-case names) and body."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.method, self.path, self.headers, self.body = method, path, headers, body


def read_request(stream) -> Request | None:
    """One HTTP/1.1 request off a socket file, or None when the client closed it."""
    line = stream.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", 0)))
    return Request(method, path, headers, body)


def response_head(status: str, content_type: str, extra: str = "") -> bytes:
    """A response's head that ends with the connection (no length: the body runs until the close)."""
    return f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nConnection: close\r\n{extra}\r\n".encode()


def sse(*events: str) -> bytes:
    """Server-sent events, one `data:` line each."""
    return b"".join(f"data: {event}\n\n".encode() for event in events)


def one_model(model_id: str):
    """The handler of a server of one model that answers every chat with "Rome." in two chunks."""
    import json
    import time

    def answer(request, wfile, _connection):
        if request.path.endswith("/models"):
            wfile.write(response_head("200 OK", "application/json") + json.dumps({"data": [{"id": model_id}]}).encode())
            return
        wfile.write(response_head("200 OK", "text/event-stream"))
        for text in ("Ro", "me."):
            wfile.write(sse(json.dumps({"choices": [{"delta": {"content": text}, "finish_reason": None}]})))
            wfile.flush()
            time.sleep(0.01)
        wfile.write(sse(json.dumps({"choices": [{"delta": {}, "finish_reason": "stop"}]}), "[DONE]"))

    return answer


@contextmanager
def fault_server(answer):
    """Serve on 127.0.0.1 until the block ends; `answer(request, wfile, connection)` writes each response.

    Yields the base URL and the list of requests received, in order.
    """
    received: list[Request] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            request = read_request(self.rfile)
            if request is None:
                return
            received.append(request)
            try:
                answer(request, self.wfile, self.connection)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client closed the request, as a stop does

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="fault-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(command: list[str], base_url: str, log_path, timeout_s: float = 120):
    """Run a real server process (its output to `log_path`) until GET base_url/models answers; stop it after.

    Yields the base URL. A server that ends, or does not answer in time, fails with its log's last lines.
    """
    import subprocess
    import time

    import httpx
    import pytest

    with open(log_path, "w+") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if server.poll() is not None:
                    pytest.fail(f"{command[0]} ended: {log.seek(0) or log.read()[-2000:]}")
                try:
                    if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{command[0]} did not answer within {timeout_s:.0f} s")
                time.sleep(0.2)
            yield base_url
        finally:
            server.terminate()
            server.wait(30)
