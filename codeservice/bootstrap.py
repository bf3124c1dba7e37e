"""The composition root: the one place that builds engines, keys and services.

The CLI, the web app and the scheduler all start from ``bootstrap()``. Nothing here
runs at import time; every part is built on first use, so a command that needs no
database never opens one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from codeservice.config import Settings, load_settings
from codeservice.domain.calendar import Calendar, CalendarPolicy
from codeservice.errors import ConfigurationError
from codeservice.storage.db import make_engine, require_database, require_schema
from codeservice.storage.uow import UnitOfWork

POOL_SPARE = 4  # database connections kept beyond web_max_in_flight

if TYPE_CHECKING:
    from codeservice.crypto.keyring import Keyring
    from codeservice.services.distribution.issuing import Issuer
    from codeservice.services.distribution.press import Press
    from codeservice.services.helpline.desk import Helpdesk
    from codeservice.services.mail import Mailroom, Postbox
    from codeservice.services.operations.setup import Installation
    from mailer.config import SmtpConfig
    from mailer.sealer import Sealer

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Container:
    """``check_schema``: refuse to work on a database that ``codeservice init`` has not
    set up, without creating anything (for commands; ``init`` itself and tests that
    migrate their own databases leave it off)."""

    def __init__(
        self, settings: Settings, clock: Clock = utc_now, *, check_schema: bool = False
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.check_schema = check_schema

    def now(self) -> datetime:
        return self.clock()

    @cached_property
    def engine(self) -> Engine:
        # A connection for each request the web works on at once, and a few for the
        # readiness probe, the scheduler and the mail worker beside it.
        pool_size = self.settings.web_max_in_flight + POOL_SPARE
        if not self.check_schema:
            return make_engine(self.settings.database_url, pool_size=pool_size)
        require_database(self.settings.database_url)
        engine = make_engine(self.settings.database_url, pool_size=pool_size)
        try:
            require_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        return engine

    @cached_property
    def writes_at_once(self) -> bool:
        """Whether a short write may be tried on the caller's own thread, without
        waiting (``storage.db.without_waiting``): on SQLite, where one writer works at a
        time whatever the threads, and a free lock is known before anything is done."""
        return self.engine.dialect.name == "sqlite"

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        from codeservice.crypto.anchor_file import SESSION_INFO_KEY, AnchorFile

        # Sessions that append to the audit trail move its anchor (services.audit_anchor).
        anchor = AnchorFile(self.settings.audit_anchor_file)
        return sessionmaker(self.engine, expire_on_commit=False, info={SESSION_INFO_KEY: anchor})

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """An open unit of work for an entry point to hand to its use cases, committed
        when the block ends without an error (rolled back when it raises)."""
        with self.uow() as uow:
            yield uow
            uow.commit()

    @cached_property
    def read_session_factory(self) -> sessionmaker[Session]:
        from codeservice.storage.db import reading

        return sessionmaker(reading(self.engine), expire_on_commit=False)

    def read_uow(self) -> UnitOfWork:
        """A unit of work that only reads: on SQLite it does not wait for writers. Its
        ``flush()`` and ``commit()`` raise ``ReadOnlyWork``; the database refuses any
        other write (SQLite ``query_only``, PostgreSQL ``READ ONLY``)."""
        return UnitOfWork(self.read_session_factory, read_only=True)

    @cached_property
    def keyring(self) -> Keyring:
        from codeservice.crypto.keyring import Keyring

        return Keyring.load(self.settings.master_key_file)

    @cached_property
    def smtp_config(self) -> SmtpConfig:
        """How the mail dispatcher reaches the SMTP server and paces the outbox."""
        from mailer.config import InvalidSetting, SmtpConfig

        s = self.settings
        try:
            return SmtpConfig(
                host=s.smtp_host,
                port=s.smtp_port,
                mail_from=s.mail_from,
                starttls=s.smtp_starttls,
                username=s.smtp_username,
                password=s.smtp_password,
                timeout_seconds=s.smtp_timeout_seconds,
                connections=s.smtp_connections,
                claim_seconds=s.mail_claim_seconds,
                max_attempts=s.mail_max_attempts,
            )
        except InvalidSetting as exc:
            raise ConfigurationError(f"CODESERVICE_{exc.setting.upper()}: {exc}") from None

    @property
    def mail_sealer(self) -> Sealer:
        """What seals outbox message bodies at rest: the keyring."""
        return self.keyring

    @cached_property
    def postbox(self) -> Postbox:
        """What use cases queue email with: the service's address and the sealer."""
        from codeservice.services.mail import Postbox

        return Postbox(self.settings.mail_from, self.mail_sealer)

    @cached_property
    def mailroom(self) -> Mailroom:
        """The postbox, keyring and settings the use cases that send mail write with."""
        from codeservice.services.mail import Mailroom

        return Mailroom.of(self.settings, self.keyring, self.postbox)

    @cached_property
    def issuer(self) -> Issuer:
        """The mailroom and the code alphabet that issuing a code works with."""
        from codeservice.domain.codes import Alphabet
        from codeservice.services.distribution.issuing import Issuer

        return Issuer(self.mailroom, Alphabet.from_excluded(self.settings.code_excluded_characters))

    @cached_property
    def press(self) -> Press:
        """What a rotation works with: units of work, the issuer, the calendar and the
        clock each of its batches is stamped with."""
        from codeservice.services.distribution.press import Press

        return Press(self.uow, self.issuer, self.calendar, batch_time=self.now)

    @cached_property
    def helpdesk(self) -> Helpdesk:
        """The keyring, postbox and settings the helpline's use cases work with."""
        from codeservice.services.helpline.desk import Helpdesk

        return Helpdesk.of(self.settings, self.keyring, self.postbox)

    @cached_property
    def installation(self) -> Installation:
        """The files and the database that ``init``, ``backup`` and ``restore`` make or
        replace: this container's engine, keyring and units of work, built on first use."""
        from codeservice.services.operations.setup import Installation

        s = self.settings
        return Installation(
            home=s.home,
            database_url=s.database_url,
            master_key_file=s.master_key_file,
            audit_anchor_file=s.audit_anchor_file,
            engine=lambda: self.engine,
            keyring=lambda: self.keyring,
            uow=self.uow,
            read_uow=self.read_uow,
        )

    @cached_property
    def calendar(self) -> Calendar:
        return Calendar(
            CalendarPolicy(
                tz=self.settings.tz,
                issue_time=self.settings.issue_time,
                holiday_moves_issue_day=self.settings.holiday_moves_issue_day,
            )
        )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def configure_logging(settings: Settings) -> None:
    from codeservice import logs

    logs.configure(settings.log_level, settings.log_format)


def bootstrap(
    environ: Mapping[str, str] | None = None, clock: Clock = utc_now, *, check_schema: bool = False
) -> Container:
    return Container(load_settings(environ), clock=clock, check_schema=check_schema)
