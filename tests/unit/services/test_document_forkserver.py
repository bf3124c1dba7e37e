"""What the document workers' forkserver loads before it forks them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
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


_FIRST_ENCRYPTION = textwrap.dedent(
    """
    import sys
    import codeservice.services.distribution.document_warmup
    from codeservice.documents.encryption import encrypt_document
    from codeservice.documents.template import thread_template
    docx = thread_template().save()
    loaded = set(sys.modules)
    encrypt_document(docx, "an unlock code")
    print(" ".join(sorted(set(sys.modules) - loaded)))
    """
)


def test_after_the_warm_up_a_first_encryption_loads_nothing_more() -> None:
    """Whatever it loads on first use, each worker would load again for itself."""
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_ENCRYPTION], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


_START_A_POOL = textwrap.dedent(
    """
    import sys
    from codeservice.services.distribution import document_work
    document_work._start_pool(1).shutdown()  # one: a thread, no process to start
    print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in ("msoffcrypto", "docx"))))
    """
)


def test_starting_the_pool_loads_no_document_library_in_the_main_process() -> None:
    """It names the key derivation its workers use, without loading msoffcrypto-tool."""
    done = subprocess.run(
        [sys.executable, "-c", _START_A_POOL], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
