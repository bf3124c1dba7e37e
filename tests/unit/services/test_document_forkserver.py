"""What the document workers' forkserver loads before it forks them."""

from __future__ import annotations

import threading

from codeservice.documents.template import thread_template
from codeservice.services.distribution import document_work
from codeservice.services.distribution.document_warmup import warm_up


def test_the_forkserver_loads_the_document_code_and_nothing_of_the_command_line() -> None:
    preload = document_work._forkserver_preload()
    assert "codeservice.services.distribution.document_warmup" in preload
    assert "codeservice.documents.builder" in preload
    assert not [name for name in preload if name.startswith("codeservice.cli")]
    assert "__main__" not in preload  # workers must not run the codeservice script again


def test_the_warm_up_leaves_the_thread_a_prepared_template() -> None:
    found: list[int] = []

    def in_a_new_thread() -> None:
        warm_up()
        found.append(len(thread_template().sections))

    worker = threading.Thread(target=in_a_new_thread)
    worker.start()
    worker.join()
    assert found and found[0] > 0
