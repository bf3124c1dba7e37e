from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codeservice.bootstrap import Container
from scheduler import lease
from scheduler.lease import Lease
from tests.support.clock import Clock

T0 = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)


def test_only_one_process_holds_the_lease_and_renews_it(container: Container) -> None:
    clock = Clock(T0)
    first = Lease(container.session_factory, "host-a:1", seconds=45, clock=clock)
    second = Lease(container.session_factory, "host-b:2", seconds=45, clock=clock)
    assert first.acquire().held
    assert not second.acquire().held
    clock.now = T0 + timedelta(seconds=40)
    renewed = first.acquire()
    assert renewed.held and not renewed.new
    clock.now = T0 + timedelta(seconds=80)  # 40 s after the renewal: still held
    assert not second.acquire().held


def test_a_dead_holders_lease_is_taken_over_once_it_expires(container: Container) -> None:
    clock = Clock(T0)
    dead = Lease(container.session_factory, "host-a:1", seconds=45, clock=clock)
    standby = Lease(container.session_factory, "host-b:2", seconds=45, clock=clock)
    assert dead.acquire().held
    clock.now = T0 + timedelta(seconds=44)
    assert not standby.acquire().held
    clock.now = T0 + timedelta(seconds=45)
    taken = standby.acquire()
    assert taken.held and taken.new and taken.previous_holder == "host-a:1"
    assert not dead.acquire().held  # it came back: too late
    with container.uow() as uow:
        view = lease.current(uow.session)
    assert view is not None and view.holder == "host-b:2"
    assert view.expires_at == T0 + timedelta(seconds=90)


def test_a_released_lease_is_taken_at_once(container: Container) -> None:
    clock = Clock(T0)
    leaving = Lease(container.session_factory, "host-a:1", seconds=45, clock=clock)
    standby = Lease(container.session_factory, "host-b:2", seconds=45, clock=clock)
    assert leaving.acquire().held
    leaving.release()
    assert standby.acquire().held
    standby.release()
    leaving.release()  # not its lease any more: changes nothing
    assert Lease(container.session_factory, "host-c:3", seconds=45, clock=clock).acquire().held
