"""The CPU-heavy part of a rotation, run in worker processes.

Building a document takes ~8 ms of CPU; encrypting it ~20 ms, nearly all of it the
SHA-512 key derivation (spin count 100000, native: ``documents.spin``). A process pool
spreads that over the machine's cores. Only the
content and the unlock code cross the process boundary, in memory, through a pipe.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import forkserver
from typing import Any, TypeVar

from codeservice.documents import DocumentContent

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class DocumentJob:
    content: DocumentContent = field(repr=False)
    unlock_code: str = field(repr=False)


@dataclass(frozen=True)
class EncryptedDocument:
    data: bytes = field(repr=False)
    build_seconds: float
    encrypt_seconds: float


def make_document(job: DocumentJob) -> EncryptedDocument:
    # Here, not at the top: the main process of a rotation submits the jobs, and only the
    # workers (whose forkserver preloaded these) build and encrypt.
    from codeservice.documents.builder import build_document
    from codeservice.documents.encryption import encrypt_document

    started = time.perf_counter()
    plain = build_document(job.content)
    built = time.perf_counter()
    encrypted = encrypt_document(plain, job.unlock_code)
    return EncryptedDocument(
        data=encrypted,
        build_seconds=built - started,
        encrypt_seconds=time.perf_counter() - built,
    )


# What the forkserver imports once, before it forks: the document code, which the workers
# then share. Nothing else: the workers need nothing of the command line, the database or
# the web. (They do not run the main script again either: see ``codeservice.cli.main``.)
_WORKER_IMPORTS = (
    "codeservice.documents.builder",
    "codeservice.documents.encryption",
    "codeservice.services.distribution.document_warmup",  # the template, made once for all
)


def _forkserver_preload() -> list[str]:
    return [__name__, *_WORKER_IMPORTS]


def worker_count(workers: int | None = None) -> int:
    """How many documents ``document_pool(workers)`` makes at once: by default, one per core."""
    return workers or os.cpu_count() or 1


class DocumentPool(Executor):
    """A pool using every core (a single core gets a thread: no process start-up cost),
    started when it is first needed: a rotation with nothing to issue starts no process.

    ``start()`` starts it ahead of the first job, so that its forkserver loads the code
    (~0.3 s of CPU) while the caller does its own preparing."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = worker_count(workers)
        self._pool: Executor | None = None
        self._lock = threading.Lock()

    def start(self) -> Executor:
        with self._lock:
            if self._pool is None:
                self._pool = _start_pool(self.workers)
            return self._pool

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self.start().submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            pool = self._pool
        if pool is not None:
            pool.shutdown(wait, cancel_futures=cancel_futures)


def document_pool(workers: int | None = None) -> DocumentPool:
    return DocumentPool(workers)


def _start_pool(count: int) -> Executor:
    # Not from ``spin``: that loads msoffcrypto-tool, which only the workers use.
    from codeservice.documents.key_derivation import IMPLEMENTATION as KEY_DERIVATION

    log.info(
        "document work: %d process%s, key derivation %s",
        count,
        "" if count == 1 else "es",
        KEY_DERIVATION,
    )
    if count <= 1:
        return ThreadPoolExecutor(max_workers=1)
    # forkserver: workers do not inherit the parent's database connections or threads.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_forkserver_preload())  # counts until the forkserver starts
    # Start it now, not at the first job: it loads the code while the caller goes on.
    forkserver.ensure_running()
    return ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=start_worker,
        initargs=(os.getpid(),),
    )


# --- workers die with the process that started them ------------------------------------
#
# A worker's parent is the forkserver, not the process that made the pool; and every
# worker holds the forkserver's "someone still needs me" pipe and a write end of its
# own job queue. So when the main process is killed (SIGKILL, the OOM killer) nothing
# tells the workers, and they in turn keep the forkserver and the resource tracker
# alive: orphans, for ever. Each worker therefore watches the main process itself and
# exits the moment it is gone; the forkserver and the resource tracker then see their
# pipes close and exit on their own.
#
# PR_SET_PDEATHSIG (Linux) covers the worker's own parent, the forkserver: it fires
# when the *thread* that forked the worker ends, and in the forkserver that is its one
# and only thread, which lives as long as the forkserver. (It is never set on the
# forkserver itself: that is started by whichever thread first uses a pool — a web
# request's thread, say — and would die with that thread.)

_PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.2


def start_worker(main_pid: int) -> None:
    """Pool initializer. Everything the forkserver loaded is frozen: the garbage collector
    never visits it, so never writes to (and copies) the pages the workers share."""
    gc.freeze()
    die_with(main_pid)


def die_with(main_pid: int) -> None:
    """Pool initializer: end this worker as soon as ``main_pid`` (the process that made
    the pool) or this worker's own parent (the forkserver) is gone."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watcher below still works
            pass
    if os.getppid() != parent or not _alive(main_pid):  # gone before we could watch
        os._exit(1)
    threading.Thread(
        target=_watch, args=(main_pid, parent), name="watch-parent", daemon=True
    ).start()


def _watch(main_pid: int, parent: int) -> None:
    pidfd = _pidfd(main_pid)
    while True:
        if pidfd is not None:
            ready, _, _ = select.select([pidfd], [], [], WATCH_SECONDS)
            gone = bool(ready)
        else:
            time.sleep(WATCH_SECONDS)
            gone = not _alive(main_pid)
        if gone or os.getppid() != parent:
            os._exit(1)  # no cleanup to do: the main process owns every result


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+), or None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
