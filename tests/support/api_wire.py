"""Helpers for the API unit tests: a scripted fake server (queue answers, then inspect exactly what the client
sent) and a fake clock for the wait helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

AMIKA_BASE = "https://amika.test"
DEVBOX_BASE = "https://devbox.test"

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response] | BaseException


class Wire:
    """Records every request and replies with the queued answers in order (an exception is raised instead)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._answers: list[Answer] = []

    def reply(
        self,
        status: int = 200,
        body: Any = None,
        *,
        text: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Wire:
        if text is not None:
            response = httpx.Response(status, text=text, headers=headers)
        elif body is None:
            response = httpx.Response(status, headers=headers)
        else:
            response = httpx.Response(status, json=body, headers=headers)
        self._answers.append(response)
        return self

    def fail(self, exc: BaseException) -> Wire:
        self._answers.append(exc)
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self._answers:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self._answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    @property
    def pending(self) -> int:
        return len(self._answers)


def body_of(request: httpx.Request) -> Any:
    """The JSON body the client sent (asserting it is JSON)."""
    assert request.headers.get("content-type") == "application/json"
    return json.loads(request.content)


def assert_no_body(request: httpx.Request) -> None:
    assert request.content == b""
    assert "content-type" not in request.headers


class FakeTime:
    """A clock and a sleep that only move together, so wait helpers run instantly and deterministically."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
