"""Group commit: what many tasks ask of the database at about the same time, done at once.

Tasks ``submit`` items and get a future each. While one batch is being handled (in a
worker thread, in one transaction of the handler's own), the items submitted meanwhile
wait; they then go together in the next batch. Nobody waits for a timer: with one
task submitting, each item is handled at once, as before; with ten, one transaction
serves up to ten. A batcher given ``patience`` waits that long (at most) for ``enough``
items before it handles fewer: fewer, larger transactions for what nobody awaits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    def __init__(
        self,
        handle: Callable[[list[T]], list[R]],
        *,
        limit: int,
        enough: int = 1,
        patience: float = 0.0,
    ) -> None:
        """``handle`` takes a batch (at most ``limit`` items, in the order submitted)
        and returns one result per item, in the same order."""
        self._handle = handle
        self._limit = limit
        self._enough = min(enough, limit)
        self._patience = patience
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._more = asyncio.Event()
        self._draining = False

    def submit(self, item: T) -> asyncio.Future[R]:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if len(self._waiting) >= self._enough:
            self._more.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        return future

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def drain(self) -> None:
        """Return once every item submitted so far has been handled (or has failed)."""
        self._draining = True
        self._more.set()
        try:
            while self._worker is not None and not self._worker.done():
                await asyncio.shield(self._worker)
        finally:
            self._draining = False

    async def _gather(self) -> None:
        """Wait (``patience`` at most) until ``enough`` items wait or a drain begins."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._patience
        while len(self._waiting) < self._enough and not self._draining:
            left = deadline - loop.time()
            if left <= 0:
                return
            self._more.clear()
            try:
                await asyncio.wait_for(self._more.wait(), left)
            except TimeoutError:
                return

    async def _work(self) -> None:
        while self._waiting:
            await self._gather()
            batch = self._waiting[: self._limit]
            del self._waiting[: self._limit]
            try:
                results = await asyncio.to_thread(self._handle, [item for item, _ in batch])
            except Exception as exc:  # every item of the batch fails with it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
