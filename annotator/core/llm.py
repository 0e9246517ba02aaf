"""Talking to the configured OpenAI-compatible chat-completions endpoint (hosted GPT
models, or a vision-language model behind vLLM). Retries, back-off on 429 (honouring
Retry-After) and timeouts are the openai client's own, bounded by LLM_MAX_RETRIES. Every
request first takes its slot under the endpoint's global requests-per-minute limit
(annotator.core.rate_limit)."""

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import openai
from django.conf import settings
from openai.types.chat import ChatCompletionMessageParam

from annotator.core.errors import Unavailable
from annotator.core.rate_limit import llm_request_slot

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class LLMNotConfigured(Unavailable):
    def __init__(self) -> None:
        super().__init__(
            "No language model is configured: set LLM_BASE_URL, LLM_API_KEY and "
            "LLM_MODEL (any OpenAI-compatible chat-completions endpoint)."
        )


class LLMFailed(Exception):
    """No usable reply: the endpoint failed after its retries, or the reply held no
    JSON of the expected shape. `raw` keeps whatever text came back; `status_code` is
    the HTTP status when the endpoint answered with an error (413: payload too large)."""

    def __init__(self, message: str, raw: str = "", status_code: int | None = None) -> None:
        super().__init__(message)
        self.raw = raw
        self.status_code = status_code


@dataclass
class LLMReply:
    data: Any
    raw: str
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None


def llm_configured() -> bool:
    """The one test of whether drafting and judging by model are on (pages, services)."""
    return bool(settings.LLM_BASE_URL and settings.LLM_MODEL)


def extract_json(text: str) -> Any:
    """The JSON value in a reply: the whole text, a fenced block, or the outermost
    {...}. Models wrap JSON in prose or markdown fences often enough."""
    candidates = [text, *_FENCE.findall(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate.strip())
        except ValueError:
            continue
    raise ValueError("the reply holds no JSON object")


@functools.lru_cache(maxsize=4)
def _client(base_url: str, api_key: str, timeout: float, max_retries: int) -> openai.OpenAI:
    # One client per process and configuration: building one loads the certificates
    # (about half the CPU of a request), and it keeps its connections open for reuse.
    return openai.OpenAI(
        base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries
    )


def chat_json(messages: list[ChatCompletionMessageParam]) -> LLMReply:
    """Sends one chat request and returns the JSON it answers with. Raises
    RateLimited when the endpoint's budget has no slot within JUDGE_RATE_MAX_WAIT."""
    if not llm_configured():
        raise LLMNotConfigured()
    llm_request_slot()
    client = _client(
        settings.LLM_BASE_URL,
        settings.LLM_API_KEY or "none",
        settings.LLM_TIMEOUT,
        settings.LLM_MAX_RETRIES,
    )
    try:
        response = client.chat.completions.create(
            model=settings.LLM_MODEL, messages=messages, temperature=0
        )
    except openai.APITimeoutError as exc:
        raise LLMFailed(
            f"no answer within {settings.LLM_TIMEOUT} s, {settings.LLM_MAX_RETRIES} retries"
        ) from exc
    except openai.APIStatusError as exc:
        raise LLMFailed(
            f"the endpoint answered HTTP {exc.status_code}: {exc.message}",
            raw=exc.response.text,
            status_code=exc.status_code,
        ) from exc
    except openai.APIConnectionError as exc:
        raise LLMFailed(f"cannot reach {settings.LLM_BASE_URL}: {exc}") from exc
    raw = (response.choices[0].message.content or "") if response.choices else ""
    usage = response.usage
    try:
        data = extract_json(raw)
    except ValueError as exc:
        raise LLMFailed(str(exc), raw=raw) from exc
    return LLMReply(
        data,
        raw,
        response.model or settings.LLM_MODEL,
        usage.prompt_tokens if usage else None,
        usage.completion_tokens if usage else None,
    )
