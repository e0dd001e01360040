"""A model served over the OpenAI-compatible chat API (llama-server, vLLM, Ollama, LM Studio): the async client.

Every figure says where it came from: the server's own counters where it sends them, else the
arrival times of the stream's chunks on this machine ("client clock"). No key is ever stored by us: a
server names the environment variable that holds it, or its key is kept in the system keyring.
"""

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from httpx_sse import SSEError, aconnect_sse

from gui.core import api_keys
from gui.core.backend import AnswerOutcome, EngineError, LoadedModel
from gui.core.chat import FormatChoice
from gui.core.metrics import CLIENT_CLOCK, SERVER_TIMINGS, SERVER_USAGE, StopReason
from gui.core.params import LoadParams, SamplingParams
from gui.core.sources import SERVED_SCHEME, ServedParts, is_served, public_address, served_parts, served_source_of

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0  # between two chunks of a stream; a first token can take a while on a loaded server
MAX_EVENT_BYTES = 1 << 20  # one SSE event larger than this is no chat chunk
RETRY_AFTER_MAX_S = 30.0  # a 429's Retry-After is honoured once, up to this long
_FINISH = {"stop": StopReason.END_OF_TEXT, "length": StopReason.MAX_TOKENS}
# Sent beside the OpenAI settings: llama-server, vLLM and Ollama's OpenAI layer take them; others may not.
_EXTENSIONS = ("top_k", "repeat_penalty")


@dataclass(frozen=True)
class Server:
    """Where a model is served, and where its API key is found: an environment variable, the keyring, or none."""

    base_url: str
    key_env: str | None = None
    key_in_keyring: bool = False

    def url(self, path: str) -> str:
        """`path` under the API root: a base URL may end with /v1 or not."""
        root = self.base_url.rstrip("/")
        if not root.endswith("/v1"):
            root += "/v1"
        return f"{root}/{path.lstrip('/')}"

    def public_url(self) -> str:
        """The base URL without any user name or password in it: what results and the log may show."""
        return public_address(self.base_url)

    def headers(self) -> dict[str, str]:
        """The Authorization header from the keyring or the named environment variable; none where no key is."""
        if self.key_in_keyring:
            return {"Authorization": f"Bearer {api_keys.kept_key(self.base_url)}"}
        if not self.key_env:
            return {}
        key = os.environ.get(self.key_env)
        if not key:
            raise EngineError(f"The API key variable {self.key_env} is not set: set it before starting the app, "
                              "or leave the key out for a server that needs none.")
        return {"Authorization": f"Bearer {key}"}


@dataclass(frozen=True)
class Figure:
    """One figure of an answer and where it came from; value None where nobody measured it."""

    value: float | None
    source: str


@dataclass(frozen=True)
class ServedOutcome:
    """How a served answer ended, with each figure's source."""

    stop_reason: StopReason
    text: str
    chunks: int  # content chunks received: tokens where the server sends one per chunk
    ttft_s: float | None  # request sent → first content, by the client clock (network included)
    prompt_tokens: Figure
    completion_tokens: Figure
    prompt_s: Figure  # prompt processing time
    decode_tps: Figure
    unguaranteed: tuple[str, ...] = field(default=())  # settings sent as extensions a server may ignore
    server_decode: tuple[int, float] | None = None  # (tokens, seconds) of decoding by the server's own timings


def chat_request(model: str, messages: list[dict], sampling: SamplingParams) -> dict:
    """The streaming chat request's body: the OpenAI settings, then the extensions (_EXTENSIONS).

    A system prompt goes in as the first message; the server applies its own chat template.
    """
    if sampling.system_prompt:
        messages = [{"role": "system", "content": sampling.system_prompt}, *messages]
    return {
        "model": model, "messages": messages, "stream": True, "stream_options": {"include_usage": True},
        "temperature": sampling.temperature, "top_p": sampling.top_p, "max_tokens": sampling.max_tokens,
        "seed": sampling.seed, "top_k": sampling.top_k, "repeat_penalty": sampling.repeat_penalty,
    }


def _refusal(server: Server, response: httpx.Response, model: str | None = None) -> EngineError:
    """A plain-words error for a server's non-2xx answer."""
    where = server.public_url()
    status = response.status_code
    if status in (401, 403):
        return EngineError(f"{where} refused the request ({status}): the API key is missing or wrong. "
                           "Give its key when you add the server (Server…): an environment variable or the system keyring.")
    if status == 404:
        return EngineError(f"{where} has no model '{model}' ({status}): pick one the server lists.")
    if status == 429:
        return EngineError(f"{where} is rate-limiting requests (429): wait a moment and ask again.")
    excerpt = " ".join(response.text.split())[:160]
    return EngineError(f"{where} answered {status} {response.reason_phrase}: {excerpt or 'no details'}. "
                       "The server's own log says more.")


def _transport_error(server: Server, error: httpx.HTTPError) -> EngineError:
    """A plain-words error for a request that got no HTTP answer."""
    where = server.public_url()
    if isinstance(error, httpx.ConnectTimeout):
        return EngineError(f"{where} did not answer within {CONNECT_TIMEOUT_S:.0f} s: check the address and that "
                           "the server is running.")
    if isinstance(error, httpx.ReadTimeout):
        return EngineError(f"{where} sent nothing for {READ_TIMEOUT_S:.0f} s: the server may be overloaded or stuck.")
    if isinstance(error, httpx.ConnectError):
        reason = str(error) or type(error).__name__
        if "CERTIFICATE" in reason.upper() or "SSL" in reason.upper():
            return EngineError(f"{where}: the TLS connection failed ({reason}). Check the address's scheme "
                               "(http or https) and the server's certificate.")
        if "name" in reason.lower() and ("resolution" in reason.lower() or "not known" in reason.lower()):
            return EngineError(f"{where}: the host name is unknown ({reason}). Check the address.")
        return EngineError(f"Could not connect to {where} ({reason}): is the server running on that port?")
    if isinstance(error, httpx.RemoteProtocolError):
        return EngineError(f"{where} broke off the answer ({error}).")
    return EngineError(f"{where}: the request failed ({type(error).__name__}: {error}).")


def client() -> httpx.AsyncClient:
    """An HTTP client with the connect timeout and the read timeout between two chunks."""
    return httpx.AsyncClient(timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))


async def list_models(http: httpx.AsyncClient, server: Server) -> list[str]:
    """The model ids of GET /v1/models, as the server lists them."""
    if server.key_in_keyring:  # the first read may wait on the keyring's daemon: not on the event loop
        await api_keys.off_loop(lambda: api_keys.kept_key(server.base_url))
    try:
        response = await http.get(server.url("models"), headers=server.headers())
    except httpx.HTTPError as error:
        raise _transport_error(server, error) from error
    if response.status_code != 200:
        raise _refusal(server, response)
    try:
        return [entry["id"] for entry in response.json()["data"]]
    except (ValueError, KeyError, TypeError) as error:
        raise EngineError(f"{server.public_url()} does not list models the OpenAI way (GET /v1/models): "
                          "is it an OpenAI-compatible server?") from error


@dataclass(frozen=True)
class ServerKind:
    """Which serving engine answers, its build where it says, and the context it serves (0 where unknown)."""

    name: str
    n_ctx: int = 0


# Where each engine says who it is, under the server's root (not /v1): llama-server, vLLM, Ollama.
_WHO_ASKS = ("props", "version", "api/version")


async def server_kind(http: httpx.AsyncClient, server: Server) -> ServerKind:
    """Ask the server who it is; an engine that says nothing is named by its HTTP Server header, if any."""
    root = server.url("").rstrip("/").removesuffix("/v1")
    header = ""
    for path in _WHO_ASKS:
        try:
            response = await http.get(f"{root}/{path}", headers=server.headers(), timeout=CONNECT_TIMEOUT_S)
            said = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            continue
        header = header or response.headers.get("server", "")
        if not isinstance(said, dict):
            continue
        if path == "props" and "build_info" in said:
            n_ctx = (said.get("default_generation_settings") or {}).get("n_ctx") or 0
            return ServerKind(f"llama.cpp server {said['build_info']}", int(n_ctx))
        if path == "version" and "version" in said:
            return ServerKind(f"vLLM {said['version']}")
        if path == "api/version" and "version" in said:
            return ServerKind(f"Ollama {said['version']}")
    return ServerKind(f"OpenAI-compatible server ({header})" if header else "OpenAI-compatible server")


def _retry_after_s(response: httpx.Response) -> float | None:
    """The seconds a 429 asks to wait, where it says so in seconds and not longer than RETRY_AFTER_MAX_S."""
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds <= RETRY_AFTER_MAX_S else None


class _Answer:
    """What a stream has brought so far: the text in pieces, their arrival times, and the server's last word."""

    def __init__(self, server: Server, sampling: SamplingParams, on_text: Callable[[str, float], None],
                 should_stop: Callable[[], bool]):
        self.server, self.sampling, self.on_text, self.should_stop = server, sampling, on_text, should_stop
        self.pieces: list[str] = []
        self.times: list[float] = []
        self.finish: str | None = None
        self.usage: dict | None = None
        self.timings: dict | None = None

    async def read(self, source) -> None:
        """Take the events of one 200 response until the answer ends, is stopped or runs past max tokens."""
        where = self.server.public_url()
        content_type = source.response.headers.get("content-type", "")
        if "text/event-stream" not in content_type:
            raise EngineError(f"{where} answered with {content_type!r}, not a stream of server-sent events: "
                              "is it an OpenAI-compatible server?")
        async for event in source.aiter_sse():
            if len(event.data) > MAX_EVENT_BYTES:
                raise EngineError(f"{where} sent one event of {len(event.data):,} bytes: not a chat chunk.")
            if event.data.strip() == "[DONE]":
                self.finish = self.finish or "stop"
                return
            try:
                chunk = json.loads(event.data)
            except ValueError as error:
                raise EngineError(f"{where} sent a chunk that is not JSON ({event.data[:80]!r}).") from error
            self.usage = chunk.get("usage") or self.usage
            self.timings = chunk.get("timings") or self.timings
            for choice in chunk.get("choices") or ():
                text = (choice.get("delta") or {}).get("content")
                if text:
                    self.pieces.append(text)
                    self.times.append(time.perf_counter())
                    self.on_text(text, self.times[-1])
                self.finish = choice.get("finish_reason") or self.finish
            if self.should_stop():
                self.finish = "stopped"
                return
            # Past max tokens (not at it: the server's own last chunk, with its figures, comes after the last token).
            if len(self.pieces) > self.sampling.max_tokens and self.finish is None:
                self.finish = "length"
                return


async def stream_chat(http: httpx.AsyncClient, server: Server, model: str, messages: list[dict],
                      sampling: SamplingParams, on_text: Callable[[str, float], None],
                      should_stop: Callable[[], bool], time_limit_s: float = 600.0) -> ServedOutcome:
    """Stream one answer, handing each content chunk to `on_text(text, arrival time)`; return how it ended.

    Stopping (`should_stop`, polled at each chunk) closes the request. A stream that ends before the
    server says it is done keeps its text and is marked cut off; one that runs past max tokens
    (counted in chunks) or `time_limit_s` is closed. A 429 with a short Retry-After is tried once more.
    """
    body = chat_request(model, messages, sampling)
    answer = _Answer(server, sampling, on_text, should_stop)
    sent = time.perf_counter()
    try:
        async with asyncio.timeout(time_limit_s):
            for attempt in (1, 2):
                sent = time.perf_counter()
                async with aconnect_sse(http, "POST", server.url("chat/completions"), json=body,
                                        headers=server.headers()) as source:
                    response = source.response
                    if response.status_code == 429 and attempt == 1 and (wait := _retry_after_s(response)) is not None:
                        await asyncio.sleep(wait)
                        continue
                    if response.status_code != 200:
                        await response.aread()
                        raise _refusal(server, response, model)
                    await answer.read(source)
                    break
    except TimeoutError:
        answer.finish = "timeout"
    except SSEError as error:
        raise EngineError(f"{server.public_url()} did not answer with a stream of server-sent events ({error}).") \
            from error
    except httpx.RemoteProtocolError as error:
        if not answer.pieces:
            raise _transport_error(server, error) from error
        # The connection closed mid-answer: what came is kept, and the answer is marked cut off.
    except httpx.HTTPError as error:
        raise _transport_error(server, error) from error
    return _outcome(answer.pieces, answer.times, sent, answer.finish, answer.usage, answer.timings)


def _outcome(pieces: list[str], times: list[float], sent: float, finish: str | None, usage: dict | None,
             timings: dict | None) -> ServedOutcome:
    """The figures of a finished stream, the server's own where it gave them."""
    reasons = {"stopped": StopReason.STOPPED_BY_USER, "timeout": StopReason.TIME_LIMIT, **_FINISH}
    reason = reasons.get(finish, StopReason.CUT_OFF)
    client_tps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else None
    if timings and timings.get("predicted_ms"):
        decode = Figure(timings["predicted_n"] / (timings["predicted_ms"] / 1000), SERVER_TIMINGS)
        prompt_s = Figure(timings.get("prompt_ms", 0) / 1000, SERVER_TIMINGS)
    else:
        decode, prompt_s = Figure(client_tps, CLIENT_CLOCK), Figure(None, CLIENT_CLOCK)
    if usage:
        prompt_tokens = Figure(usage.get("prompt_tokens"), SERVER_USAGE)
        completion_tokens = Figure(usage.get("completion_tokens"), SERVER_USAGE)
    else:
        prompt_tokens, completion_tokens = Figure(None, CLIENT_CLOCK), Figure(len(pieces), CLIENT_CLOCK)
    return ServedOutcome(
        stop_reason=reason, text="".join(pieces), chunks=len(pieces),
        ttft_s=times[0] - sent if times else None, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
        prompt_s=prompt_s, decode_tps=decode, unguaranteed=_EXTENSIONS,
        server_decode=(timings["predicted_n"], timings["predicted_ms"] / 1000) if decode.source == SERVER_TIMINGS
        else None,
    )


def served_source(server: Server, model: str) -> str:
    """The source string of a served model, as the Side and the results keep it (never the key: where it is)."""
    return served_source_of(ServedParts(server.base_url, model, server.key_env, server.key_in_keyring))


def parse_source(source: str) -> tuple[Server, str]:
    """(the server, the model id) of a served model's source string."""
    if not is_served(source) or "#" not in source:
        raise EngineError(f"{source!r} names no served model: expected {SERVED_SCHEME}URL#MODEL.")
    parts = served_parts(source)
    return Server(parts.address, parts.key_env, parts.key_in_keyring), parts.model


def served_identity(server: Server, model: str, kind: ServerKind) -> dict:
    """What results record about a served model: the same keys as a file's identity, the server in place of a path."""
    where = server.public_url()
    return {
        "label": model, "name": model, "path": f"{where}#{model}", "file_size": None,
        "fingerprint": f"served:{where}#{model}", "architecture": None, "quantization": None,
        "parameter_count": None, "server": where, "server_kind": kind.name,
    }


class ServedBackend:
    """A model on an OpenAI-compatible server as a side's backend (gui.core.backend.AsyncBackend)."""

    def __init__(self):
        self.loaded: LoadedModel | None = None
        self._http: httpx.AsyncClient | None = None
        self._server: Server | None = None
        self._model = ""

    async def load(self, source: str, params: LoadParams, on_progress: Callable[[float], bool]) -> LoadedModel:
        """Reach the server and find the model among those it lists; load time is that round trip."""
        del params  # context size, threads and GPU layers are the server's own
        server, model = parse_source(source)
        self._http = self._http or client()
        started = time.perf_counter()
        models = await list_models(self._http, server)
        if model not in models:
            raise EngineError(f"{server.public_url()} serves no model '{model}': it serves "
                              f"{', '.join(models) or 'none'}. Pick one of those.")
        load_s = time.perf_counter() - started  # the round trip that found the model; who it is is asked after
        kind = await server_kind(self._http, server)
        on_progress(1.0)
        self._server, self._model = server, model
        self.loaded = LoadedModel(
            card=None, load_s=load_s, model_bytes=0, unmapped_weight_bytes=0, context_bytes=0, n_ctx=kind.n_ctx,
            chat_format=FormatChoice(None, f"Chat template: the server's own ({kind.name}). "
                                           f"{' and '.join(_EXTENSIONS)} are sent as extensions it may ignore."),
            identity=served_identity(server, model, kind), source=source,
            runtime={"served_by": server.public_url(), "server_kind": kind.name},
        )
        return self.loaded

    async def answer(self, messages: list[dict], sampling: SamplingParams, should_stop: Callable[[], bool],
                     on_text: Callable[[str, float], None]) -> AnswerOutcome:
        """Stream one answer; the counters are the server's own timings where it sent them, else zero."""
        if self._server is None:
            raise EngineError("No served model on this side: pick a server and a model first.")
        outcome = await stream_chat(self._http, self._server, self._model, messages, sampling, on_text, should_stop)
        decoded_tokens, decode_s = outcome.server_decode or (0, 0.0)
        return AnswerOutcome(
            stop_reason=outcome.stop_reason,
            prompt_tokens=int(outcome.prompt_tokens.value or 0),
            prompt_eval_s=outcome.prompt_s.value or 0.0,
            counter_eval_tokens=decoded_tokens,
            counter_eval_s=decode_s,
            tail="",
            counters_source=SERVER_TIMINGS if outcome.server_decode else None,
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        self._http = None
        self._server = None
        self.loaded = None
