"""The mail worker of a long-running process (``codeservice serve`` and ``worker``): the
outbox's dispatcher, started again after a failure, until the process stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from codeservice.bootstrap import Container
from codeservice.errors import ConfigurationError

log = logging.getLogger("codeservice.serve")

MAIL_RESTART_SECONDS = 30.0


async def mail_worker(
    container: Container, holder: str, stop: asyncio.Event, state: dict[str, str]
) -> None:
    """The dispatcher, started again after a failure (the database or SMTP server gone)."""
    from codeservice.services.distribution.mail_events import audit_mail_outcomes
    from mailer import dispatcher
    from mailer.smtp import SmtpConfigurationError

    while not stop.is_set():
        state["value"] = "running"
        try:
            await dispatcher.run(
                container.session_factory,
                container.smtp_config,
                container.mail_sealer,
                worker_id=holder,
                stop=stop,
                clock=container.now,
                on_outcomes=audit_mail_outcomes(container.keyring),
                reader=container.read_session_factory,
            )
        except SmtpConfigurationError as exc:
            log.error("mail worker: %s; check the CODESERVICE_SMTP_* settings", exc)
        except ConfigurationError as exc:
            log.error("mail worker: %s", exc)
        except Exception:
            log.exception("mail worker failed")
        if stop.is_set():
            break
        state["value"] = "restarting"
        log.info("mail worker starts again in %.0f seconds", MAIL_RESTART_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=MAIL_RESTART_SECONDS)
    state["value"] = "off"
