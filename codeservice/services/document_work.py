"""The CPU-heavy part of a rotation, run in worker processes.

Building a document is quick; encrypting it is ~100 ms of SHA-512 key derivation
(spin count 100000). A process pool spreads that over the machine's cores. Only the
content and the unlock code cross the process boundary, in memory, through a pipe.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

from codeservice.documents import DocumentContent, build_document, encrypt_document


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
    started = time.perf_counter()
    plain = build_document(job.content)
    built = time.perf_counter()
    encrypted = encrypt_document(plain, job.unlock_code)
    return EncryptedDocument(
        data=encrypted,
        build_seconds=built - started,
        encrypt_seconds=time.perf_counter() - built,
    )


def document_pool(workers: int | None = None) -> Executor:
    """A pool using every core; a single core gets a thread (no process start-up cost)."""
    count = workers or os.cpu_count() or 1
    if count <= 1:
        return ThreadPoolExecutor(max_workers=1)
    # forkserver: workers do not inherit the parent's database connections or threads.
    return ProcessPoolExecutor(
        max_workers=count, mp_context=multiprocessing.get_context("forkserver")
    )
