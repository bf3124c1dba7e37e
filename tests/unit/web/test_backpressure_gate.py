"""The gate's places: bounded, handed over first come, first served, never leaked; its
queue bounded too."""

from __future__ import annotations

import asyncio

from codeservice.web.backpressure import Gate


def test_a_freed_place_goes_to_the_longest_waiting_request() -> None:
    async def scenario() -> list[str]:
        gate = Gate(1, max_waiting=2)
        order: list[str] = []
        assert await gate.enter(0)
        assert not await gate.enter(0)  # full, and no wait allowed

        async def waiter(name: str) -> None:
            assert await gate.enter(3600)
            order.append(name)
            gate.leave()

        first = asyncio.create_task(waiter("first"))
        await asyncio.sleep(0)
        second = asyncio.create_task(waiter("second"))
        await asyncio.sleep(0)
        assert gate.in_flight == 1 and order == []
        gate.leave()
        await asyncio.gather(first, second)
        assert gate.in_flight == 0
        return order

    assert asyncio.run(scenario()) == ["first", "second"]


def test_a_request_that_gives_up_waiting_leaves_no_trace() -> None:
    async def scenario() -> None:
        gate = Gate(1)
        assert await gate.enter(0)
        cancelled = asyncio.create_task(gate.enter(3600))
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.gather(cancelled, return_exceptions=True)
        gate.leave()
        assert gate.in_flight == 0
        assert await gate.enter(0)

    asyncio.run(scenario())


def test_a_request_that_finishes_work_goes_ahead_of_new_work() -> None:
    async def scenario() -> list[str]:
        gate = Gate(1)
        order: list[str] = []
        assert await gate.enter(0)

        async def waiter(name: str, first: bool) -> None:
            assert await gate.enter(3600, first=first)
            order.append(name)
            gate.leave()

        new = asyncio.create_task(waiter("new challenge", False))
        await asyncio.sleep(0)
        answer = asyncio.create_task(waiter("answer", True))
        await asyncio.sleep(0)
        assert not await gate.enter(0)  # still full for new work
        gate.leave()
        await asyncio.gather(new, answer)
        assert gate.in_flight == 0
        return order

    assert asyncio.run(scenario()) == ["answer", "new challenge"]


def test_once_as_many_wait_as_there_are_places_one_more_is_refused_at_once() -> None:
    async def scenario() -> None:
        gate = Gate(2)
        assert await gate.enter(0) and await gate.enter(0)
        waiting = [asyncio.create_task(gate.enter(3600)) for _ in range(2)]
        await asyncio.sleep(0)
        refused = asyncio.create_task(gate.enter(3600))  # would wait an hour: does not
        await asyncio.sleep(0)
        assert refused.done() and refused.result() is False
        answer = asyncio.create_task(gate.enter(3600, first=True))  # finishing work may
        await asyncio.sleep(0)
        assert not answer.done()
        gate.leave()
        assert await answer
        gate.leave()
        gate.leave()
        assert await asyncio.gather(*waiting) == [True, True]
        assert gate.in_flight == 2
        gate.leave()
        gate.leave()
        assert gate.in_flight == 0

    asyncio.run(scenario())
