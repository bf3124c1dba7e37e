"""The link in every email 1 that lets a SPoC report a potential security incident.

One link per SPoC, reused from email to email while it has long enough to run, and
usable only while the SPoC (and their provider) is on the register. Like every link
token only its SHA-256 digest is stored; the token itself is an HMAC of the link row
(id, SPoC, creation time) under the keyring's fingerprint key (kept outside the
database), so the same link can be put in the next email without keeping the token.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

from codeservice.crypto.keyring import Keyring
from codeservice.domain.tokens import TokenPurpose, token_digest
from codeservice.services.link_tokens import add_link
from codeservice.storage.models import LinkToken, Spoc
from codeservice.storage.uow import UnitOfWork

LIFETIME = timedelta(days=365)
# A link with less than this left is not put in a new email: a new one is made.
REUSE_MARGIN = timedelta(days=90)


def report_url(base_url: str, token: str) -> str:
    return f"{base_url}/report/{token}"


def report_link_token(uow: UnitOfWork, keyring: Keyring, spoc: Spoc, now: datetime) -> str:
    """The SPoC's report-incident token: their current link, or a new one (flushed)."""
    link = uow.incidents.live_report_link(
        spoc.id, TokenPurpose.REPORT_INCIDENT, valid_after=now + REUSE_MARGIN
    )
    if link is None:
        link = add_link(
            uow,
            TokenPurpose.REPORT_INCIDENT,
            # A placeholder until the row has the id the token is derived from.
            digest=secrets.token_bytes(32),
            spoc=spoc,
            delivery=None,
            now=now,
            expires_at=now + LIFETIME,
        )
        link.digest = token_digest(_token_of(keyring, link))
        uow.flush()
    return _token_of(keyring, link)


def report_link_tokens(
    uow: UnitOfWork, keyring: Keyring, spocs: list[Spoc], now: datetime
) -> dict[int, str]:
    """``report_link_token`` for several SPoCs: one look-up, the new links made together."""
    links = uow.incidents.live_report_links(
        [spoc.id for spoc in spocs], TokenPurpose.REPORT_INCIDENT, valid_after=now + REUSE_MARGIN
    )
    new = []
    for spoc in spocs:
        if spoc.id not in links:
            link = LinkToken(
                digest=secrets.token_bytes(32),  # a placeholder, as in ``report_link_token``
                purpose=TokenPurpose.REPORT_INCIDENT,
                spoc=spoc,
                delivery=None,
                created_at=now,
                expires_at=now + LIFETIME,
            )
            uow.deliveries.add_token(link)
            links[spoc.id] = link
            new.append(link)
    if new:
        uow.flush()
        for link in new:
            link.digest = token_digest(_token_of(keyring, link))
    return {spoc.id: _token_of(keyring, links[spoc.id]) for spoc in spocs}


def _token_of(keyring: Keyring, link: LinkToken) -> str:
    # The creation instant too: a database started afresh with the same keyring reuses
    # row ids, and an old email's link must not open a new database's form.
    created = link.created_at.astimezone(UTC).isoformat(timespec="microseconds")
    material = f"link-token:{TokenPurpose.REPORT_INCIDENT}:{link.id}:{link.spoc_id}:{created}"
    mac = keyring.fingerprint(material)
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")
