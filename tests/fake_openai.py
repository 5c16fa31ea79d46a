"""A fake OpenAI-compatible HTTP server for tests: records requests, replays canned replies.

The real `openai` client talks to it over HTTP on 127.0.0.1, so the request body that
leaves the app and the handling of each reply are both exercised for real. Replies come from
the queue (`enqueue`), else from `responder(request_body)` (a scripted model), else `default`.
The faults a real endpoint shows are replies too: `failure(500)`, `rate_limited(...)`,
`hang(...)`, `truncated(...)`; `closed_port_url()` is an endpoint that refuses connections.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: str | bytes = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def completion(content: str | None, model: str = "fake-model") -> Reply:
    """A chat completion whose first choice carries `content`."""
    choices = [] if content is None else [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}]
    return Reply(body=json.dumps({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": choices, "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }))


def failure(status: int = 500, headers: dict[str, str] | None = None) -> Reply:
    """An HTTP error with an OpenAI-style error body."""
    return Reply(status=status, body=json.dumps({"error": {"message": f"fake error {status}"}}), headers=headers or {})


def rate_limited(retry_after_s: float) -> Reply:
    return failure(429, {"Retry-After": f"{retry_after_s:g}"})


def hang(seconds: float) -> Reply:
    """A reply that starts only after `seconds` (longer than the client's timeout in tests)."""
    return Reply(delay_s=seconds, body=completion("{}").body)


def truncated(reply: Reply, keep: float = 0.5) -> Reply:
    """The same reply with its HTTP body cut short, as when a proxy drops the connection mid-body."""
    body = reply.body if isinstance(reply.body, str) else reply.body.decode()
    return Reply(status=reply.status, body=body[: int(len(body) * keep)], headers=reply.headers)


def closed_port_url() -> str:
    """An OpenAI base URL on a local port nothing listens on: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.replies: deque[Reply] = deque()
        self.default: Reply | None = None
        self.responder: Callable[[dict], Reply] | None = None
        self._closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                reply = server.next_reply(body)
                if reply.delay_s and server._closing.wait(reply.delay_s):
                    return  # shutting down: stop hanging
                data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def enqueue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_reply(self, body: dict) -> Reply:
        if self.replies:
            return self.replies.popleft()
        if self.responder is not None:
            return self.responder(body)
        return self.default or completion("{}")
