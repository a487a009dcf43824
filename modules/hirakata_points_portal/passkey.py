"""Passkeys (WebAuthn, the webauthn package): the resident registers the
phone's passkey from the account page, then signs in with a fingerprint or
the face, no password to remember.

Each ceremony (register, sign in) has a random challenge kept for two
minutes and used once; the browser gets a ceremony token in a cookie, the
database keeps its digest. User verification (fingerprint, face, PIN) is
required. The relying party is the portal's host name ([hirakata_portal]
url); the origin the browser reports must be the portal's.
"""
import datetime as dt
import json
import logging
import secrets
import urllib.parse

import webauthn
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse, InvalidRegistrationResponse)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
    ResidentKeyRequirement, UserVerificationRequirement)

from trytond.model import ModelSQL, Unique, fields
from trytond.modules.hirakata_points.tokens import digest, utc_now
from trytond.pool import Pool

from .account import portal_url

CHALLENGE_TIME = dt.timedelta(minutes=2)
logger = logging.getLogger('hirakata.portal')


def relying_party():
    "(rp id, origin) of the portal's public address."
    parts = urllib.parse.urlsplit(portal_url())
    return parts.hostname, '%s://%s' % (parts.scheme, parts.netloc)


class Passkey(ModelSQL):
    "Portal Passkey"
    __name__ = 'hirakata.portal.passkey'

    web_user = fields.Many2One('web.user', "Web User", required=True,
        ondelete='CASCADE')
    credential_id = fields.Char("Credential ID", required=True)
    public_key = fields.Text("Public Key", required=True)
    sign_count = fields.Integer("Sign Count", required=True)
    device = fields.Char("Device")
    last_used_at = fields.Timestamp("Last Used At")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('credential_unique', Unique(t, t.credential_id),
                'hirakata_points_portal.msg_passkey_unique'),
            ]

    @staticmethod
    def _challenges():
        return Pool().get('hirakata.portal.passkey.challenge')

    @classmethod
    def registration_options(cls, web_user):
        "(ceremony token, options as JSON) to register a passkey."
        rp_id, _ = relying_party()
        options = webauthn.generate_registration_options(
            rp_id=rp_id, rp_name="枚方市ポイント",
            user_id=str(web_user.id).encode(), user_name=web_user.email,
            user_display_name=web_user.email,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED),
            exclude_credentials=[PublicKeyCredentialDescriptor(
                    id=webauthn.base64url_to_bytes(p.credential_id))
                for p in cls.search([('web_user', '=', web_user.id)])])
        token = cls._challenges().keep(options.challenge, 'register',
            web_user)
        return token, webauthn.options_to_json(options)

    @classmethod
    def register(cls, web_user, token, credential, device):
        "Whether credential (the browser's answer, JSON) was registered."
        challenge = cls._challenges().take(token, 'register', web_user)
        if challenge is None:
            return False
        rp_id, origin = relying_party()
        try:
            verified = webauthn.verify_registration_response(
                credential=credential, expected_challenge=challenge,
                expected_rp_id=rp_id, expected_origin=origin,
                require_user_verification=True)
        except (InvalidRegistrationResponse, ValueError, KeyError,
                TypeError, json.JSONDecodeError) as error:
            logger.warning("passkey refused for web user %s: %s",
                web_user.id, error)
            return False
        cls.create([{'web_user': web_user.id,
                    'credential_id': bytes_to_base64url(
                        verified.credential_id),
                    'public_key': bytes_to_base64url(
                        verified.credential_public_key),
                    'sign_count': verified.sign_count, 'device': device}])
        logger.info("passkey registered for web user %s", web_user.id)
        return True

    @classmethod
    def sign_in_options(cls):
        "(ceremony token, options as JSON) to sign in with any passkey."
        rp_id, _ = relying_party()
        options = webauthn.generate_authentication_options(rp_id=rp_id,
            user_verification=UserVerificationRequirement.REQUIRED)
        return (cls._challenges().keep(options.challenge, 'sign_in', None),
            webauthn.options_to_json(options))

    @classmethod
    def sign_in(cls, token, credential):
        "The web user whose passkey answered the challenge, or None."
        challenge = cls._challenges().take(token, 'sign_in', None)
        if challenge is None:
            return None
        try:
            credential_id = json.loads(credential)['id']
            passkeys = cls.search([('credential_id', '=', credential_id)],
                limit=1)
            if not passkeys:
                return None
            passkey, = passkeys
            rp_id, origin = relying_party()
            verified = webauthn.verify_authentication_response(
                credential=credential, expected_challenge=challenge,
                expected_rp_id=rp_id, expected_origin=origin,
                credential_public_key=webauthn.base64url_to_bytes(
                    passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True)
        except (InvalidAuthenticationResponse, ValueError, KeyError,
                TypeError) as error:
            logger.warning("passkey sign-in refused: %s", error)
            return None
        cls.write([passkey], {'sign_count': verified.new_sign_count,
                'last_used_at': utc_now()})
        return passkey.web_user


class Challenge(ModelSQL):
    "Portal Passkey Challenge"
    __name__ = 'hirakata.portal.passkey.challenge'

    digest = fields.Char("Digest", required=True)
    challenge = fields.Char("Challenge", required=True)
    purpose = fields.Char("Purpose", required=True)
    web_user = fields.Many2One('web.user', "Web User", ondelete='CASCADE')
    expires_at = fields.Timestamp("Expires At", required=True)

    @classmethod
    def keep(cls, challenge, purpose, web_user):
        "The ceremony token of a new challenge."
        cls.delete(cls.search([('expires_at', '<', utc_now())]))
        token = secrets.token_urlsafe(32)
        cls.create([{'digest': digest(token), 'purpose': purpose,
                    'challenge': bytes_to_base64url(challenge),
                    'web_user': web_user.id if web_user else None,
                    'expires_at': utc_now() + CHALLENGE_TIME}])
        return token

    @classmethod
    def take(cls, token, purpose, web_user):
        "The challenge of token (bytes), used up, or None."
        if not token:
            return None
        challenges = cls.search([('digest', '=', digest(token)),
                ('purpose', '=', purpose),
                ('web_user', '=', web_user.id if web_user else None),
                ('expires_at', '>', utc_now())], limit=1)
        if not challenges:
            return None
        challenge = webauthn.base64url_to_bytes(challenges[0].challenge)
        cls.delete(challenges)
        return challenge


