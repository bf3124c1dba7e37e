"""Security keys and passkeys (WebAuthn, with py_webauthn): the two ceremonies.

The relying party is the service's own address (``base_url``): its host name is the
RP ID, its origin the origin expected — and the request's own origin too when it has
the same host name (a proxy that keeps the Host header; the tests' free ports), as the
CSRF check allows. Browsers only offer WebAuthn in a secure context: https, or
http://localhost. An IP address is never an RP ID.

Each ceremony's challenge is kept server-side, sealed, one per account and purpose,
lives ``CHALLENGE_LIFETIME`` and is deleted by the first answer, right or wrong. A
credential is kept as its id, public key and sign count; nothing of it is secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from codeservice.config import Settings
from codeservice.crypto.keyring import Keyring
from codeservice.domain.second_factors import FactorKind, factor_name
from codeservice.errors import InputError
from codeservice.services.staff.second_factors import add_factor
from codeservice.storage.models import FactorChallenge, SecondFactor, StaffUser
from codeservice.storage.uow import UnitOfWork

RP_NAME = "Provider Direct access codes"
REGISTER = "webauthn-register"
SIGN_IN = "webauthn-sign-in"
CHALLENGE_LIFETIME = timedelta(minutes=5)
_MAX_CREDENTIAL_JSON = 64 * 1024


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origins: list[str]


def relying_party(settings: Settings, request_origin: str | None = None) -> RelyingParty:
    parts = urlsplit(settings.base_url)
    rp_id = parts.hostname or "localhost"
    origins = [f"{parts.scheme}://{parts.netloc}"]
    if request_origin and urlsplit(request_origin).hostname == rp_id:
        origins.append(request_origin)
    return RelyingParty(rp_id, origins)


def registration_options(
    uow: UnitOfWork, keyring: Keyring, user: StaffUser, rp: RelyingParty, *, now: datetime
) -> str:
    """The options for ``navigator.credentials.create``, as JSON; the challenge kept."""
    keys = _keys(uow, user)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_name=user.name,
        user_id=keyring.fingerprint(f"webauthn-user/{user.id}")[:16],
        user_display_name=user.display_name or user.name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(k) for k in keys],
    )
    _keep_challenge(uow, keyring, user, REGISTER, options.challenge, now)
    return options_to_json(options)


def authentication_options(
    uow: UnitOfWork, keyring: Keyring, user: StaffUser, rp: RelyingParty, *, now: datetime
) -> str:
    """The options for ``navigator.credentials.get``, as JSON; the challenge kept."""
    options = generate_authentication_options(
        rp_id=rp.id,
        allow_credentials=[_descriptor(k) for k in _keys(uow, user)],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _keep_challenge(uow, keyring, user, SIGN_IN, options.challenge, now)
    return options_to_json(options)


def register_key(
    uow: UnitOfWork,
    keyring: Keyring,
    user: StaffUser,
    credential: str,
    name: str,
    rp: RelyingParty,
    *,
    now: datetime,
    source: str,
) -> SecondFactor:
    """Check the authenticator's answer to the registration challenge and keep the key
    (``InputError`` on the ``credential`` field when it does not hold)."""
    challenge = _take_challenge(uow, keyring, user, REGISTER, now)
    if challenge is None or not credential or len(credential) > _MAX_CREDENTIAL_JSON:
        raise InputError("the security key was not set up: try again", field="credential")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise InputError(
            "the security key's answer could not be checked: try again", field="credential"
        ) from None
    if uow.second_factors.factor_by_credential(verified.credential_id) is not None:
        raise InputError("this security key is set up already", field="credential")
    taken = [f.name for f in uow.second_factors.factors_of(user.id)]
    factor = SecondFactor(
        user_id=user.id,
        kind=FactorKind.WEBAUTHN.value,
        name=factor_name(name, FactorKind.WEBAUTHN, taken),
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        created_at=now,
        last_used_at=now,
    )
    return add_factor(uow, keyring, user, factor, source=source, now=now)


def use_key(
    uow: UnitOfWork,
    keyring: Keyring,
    user: StaffUser,
    credential: str,
    rp: RelyingParty,
    now: datetime,
) -> SecondFactor | None:
    """The account's key that signed the sign-in challenge (its count moved on), or None."""
    challenge = _take_challenge(uow, keyring, user, SIGN_IN, now)
    if challenge is None or not credential or len(credential) > _MAX_CREDENTIAL_JSON:
        return None
    try:
        raw_id = base64url_to_bytes(str(json.loads(credential)["rawId"]))
    except (ValueError, KeyError, TypeError):
        return None
    factor = uow.second_factors.factor_by_credential(raw_id)
    if factor is None or factor.user_id != user.id or factor.public_key is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
            credential_public_key=factor.public_key,
            credential_current_sign_count=factor.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    factor.sign_count = verified.new_sign_count
    factor.last_used_at = now
    return factor


def _keys(uow: UnitOfWork, user: StaffUser) -> list[SecondFactor]:
    return [
        f
        for f in uow.second_factors.factors_of(user.id)
        if f.kind == FactorKind.WEBAUTHN and f.credential_id is not None
    ]


def _descriptor(factor: SecondFactor) -> PublicKeyCredentialDescriptor:
    assert factor.credential_id is not None
    return PublicKeyCredentialDescriptor(id=factor.credential_id)


def _context(user_id: int, purpose: str) -> bytes:
    return f"codeservice/v1/staff-{purpose}/{user_id}".encode()


def _keep_challenge(
    uow: UnitOfWork,
    keyring: Keyring,
    user: StaffUser,
    purpose: str,
    challenge: bytes,
    now: datetime,
) -> None:
    uow.second_factors.put_challenge(
        FactorChallenge(
            user_id=user.id,
            purpose=purpose,
            sealed=keyring.seal(challenge, context=_context(user.id, purpose)),
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )


def _take_challenge(
    uow: UnitOfWork, keyring: Keyring, user: StaffUser, purpose: str, now: datetime
) -> bytes | None:
    """The challenge, deleted: it answers once. None if there is none or it expired."""
    kept = uow.second_factors.challenge(user.id, purpose)
    if kept is None:
        return None
    uow.second_factors.take_challenge(user.id, purpose)
    if kept.expires_at <= now:
        return None
    return keyring.open(kept.sealed, context=_context(user.id, purpose))
