"""Backpressure: at most ``web_max_in_flight`` requests are worked on at once.

A request that finds every place taken waits up to ``web_queue_wait_ms`` for one, in
the order it came; if none frees up it is answered with 503 and ``Retry-After`` (the
JSON error under ``/api/``, the GOV.UK page otherwise), before any route sees it, so
nothing was done and the client can simply send it again. At most as many requests
wait as there are places: one more is refused at once, without waiting. A short burst
still waits its turn, while under sustained overload the queue stays full and the
excess gets its 503 in about a millisecond instead of after ``web_queue_wait_ms``
(with a timer and a future each). The service then keeps its pace under overload
instead of queueing every request on the database pool and the write lock until all
of them are slow.

The health, readiness and metrics endpoints and the static assets pass by: a monitor
must see the service as it is, busy or not. Each web process keeps its own count.

A request that finishes work already begun (the answer to a helpline challenge: a
caller is on the line, three characters spoken) goes ahead of every request that
would start new work, and may wait longer (``web_finish_wait_ms``). Under overload the
service therefore refuses new challenges, not the answers to the ones it gave: what it
completes stays at its peak, rather than half-done pairs each costing a retry.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from codeservice import metrics

PASS_BY = frozenset({"/healthz", "/readyz", "/metrics"})


class Gate:
    """A count of places, handed over first come, first served (``first`` ones ahead).

    At most ``max_waiting`` requests (default: as many as there are places) wait for
    one; a ``first`` request always may."""

    def __init__(self, places: int, max_waiting: int | None = None) -> None:
        self.places = places
        self.max_waiting = places if max_waiting is None else max_waiting
        self.in_flight = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._waiting_first: deque[asyncio.Future[None]] = deque()

    async def enter(self, wait_seconds: float, *, first: bool = False) -> bool:
        """Take a place, waiting at most ``wait_seconds``; False if none came free.
        ``first``: wait ahead of every request that is not."""
        queue = self._waiting_first if first else self._waiting
        if (
            self.in_flight < self.places
            and not self._waiting_first
            and (first or not self._waiting)
        ):
            self.in_flight += 1
            return True
        if wait_seconds <= 0 or (not first and len(queue) >= self.max_waiting):
            return False
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(turn)
        try:
            async with asyncio.timeout(wait_seconds):
                await turn
        except BaseException as exc:
            if turn.done() and not turn.cancelled():  # handed a place as time ran out
                if isinstance(exc, TimeoutError):
                    return True
                self.leave()
                raise
            if turn in queue:
                queue.remove(turn)
            if isinstance(exc, TimeoutError):
                return False
            raise
        return True

    def leave(self) -> None:
        """Give the place to the longest waiting request (``first`` ones before the
        others), or free it."""
        for queue in (self._waiting_first, self._waiting):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the place passes on; in_flight is unchanged
                    return
        self.in_flight -= 1


class Backpressure:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int,
        queue_wait_ms: int,
        retry_after_seconds: int,
        overloaded: Callable[[Request, int], Response],
        pass_by: Callable[[str], bool] = lambda path: path in PASS_BY,
        finishes: Callable[[str, str], bool] = lambda _method, _path: False,
        finish_wait_ms: int = 0,
    ) -> None:
        self.app = app
        self.gate = Gate(max_in_flight)
        self.wait_seconds = queue_wait_ms / 1000
        self.finishes = finishes
        self.finish_wait_seconds = max(finish_wait_ms, queue_wait_ms) / 1000
        self.retry_after_seconds = retry_after_seconds
        self.overloaded = overloaded
        self.pass_by = pass_by

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.pass_by(scope["path"]):
            await self.app(scope, receive, send)
            return
        first = self.finishes(scope["method"], scope["path"])
        wait = self.finish_wait_seconds if first else self.wait_seconds
        if not await self.gate.enter(wait, first=first):
            metrics.HTTP_REQUESTS_SHED.inc()
            answer = self.overloaded(Request(scope), self.retry_after_seconds)
            await answer(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.leave()
