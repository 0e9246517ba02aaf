"""A local HTTP server that speaks the OpenAI chat-completions protocol, answering
from a script of replies, so the LLM features are tested over real HTTP."""

import base64
import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def completion(content: str, model: str = "test-vlm") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200},
    }


class ChatServer:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append(
                    {
                        "path": self.path,
                        "json": json.loads(body or b"{}"),
                        "authorization": self.headers.get("Authorization"),
                        "at": time.monotonic(),
                    }
                )
                reply = server.replies.pop(0) if server.replies else Reply("{}")
                time.sleep(reply.delay)
                data = (
                    json.dumps(completion(reply.content))
                    if reply.status == 200
                    else json.dumps({"error": {"message": reply.content or "error"}})
                )
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


FAST = {"retry-after-ms": "20"}  # the openai client's back-off honours it


def judge_reply(scores, reasoning="The cell crawls toward the bacterium."):
    return Reply(json.dumps({"scores": scores, "reasoning": reasoning}))


def images_of(request) -> list[Image.Image]:
    parts = request["json"]["messages"][0]["content"][1:]
    assert all(p["type"] == "image_url" for p in parts)
    prefix = "data:image/jpeg;base64,"
    assert all(p["image_url"]["url"].startswith(prefix) for p in parts)
    return [
        Image.open(io.BytesIO(base64.b64decode(p["image_url"]["url"][len(prefix) :])))
        for p in parts
    ]


# A good criteria draft: three dimensions, polarities and weights written several ways.
CRITERIA_DRAFT = json.dumps(
    {
        "scientific": [
            {"text": "Chromosomes separate before the cell splits", "polarity": 1, "weight": 2},
            {"text": "The cell splits into three", "polarity": -1, "weight": "1.5"},
        ],
        "visual": [{"text": "The membrane stays smooth", "polarity": "+1", "weight": 1}],
        "instruction": [{"text": "A dividing cell is shown", "polarity": 1, "weight": 1}],
    }
)
