"""Starts MiniStack with Cognito's MFA_SETUP challenge as AWS sends it.

MiniStack 1.5.33 checks TOTP codes for real (AssociateSoftwareToken, VerifySoftwareToken and the
SOFTWARE_TOKEN_MFA challenge), but on a pool with `MfaConfiguration: ON` it hands tokens to a user
who has no second factor yet, where AWS answers with an MFA_SETUP challenge ("If your user pool
requires TOTP MFA, Amazon Cognito generates an MFA_SETUP or SOFTWARE_TOKEN_SETUP challenge each time
your user signs in", API reference of AssociateSoftwareToken). It also forgets whose secret a
session-authorised VerifySoftwareToken confirmed, so the user is never enrolled.

This wrapper closes those two gaps and nothing else: it changes what an `ON` pool answers for a user
without TOTP (MFA_SETUP with the session, MFAS_CAN_SETUP and USER_ID_FOR_SRP) and enrols that user
when VerifySoftwareToken succeeds for the session of that challenge. Every check stays MiniStack's.
Pools with MFA OFF or OPTIONAL, and every other call, behave exactly as before.
"""

import base64
import json
import secrets
import sys

from ministack.services import cognito

# session string -> the user dict awaiting TOTP setup (MFA_SETUP, then AssociateSoftwareToken)
_awaiting_setup = {}

_challenge_for_user = cognito._mfa_challenge_for_user
_associate = cognito._associate_software_token
_verify = cognito._verify_software_token


def _mfa_challenge_for_user(pool, user, pid, username):
    if pool.get("MfaConfiguration") == "ON" and "SOFTWARE_TOKEN_MFA" not in user.get(
        "_mfa_enabled", []
    ):
        session = base64.b64encode(secrets.token_bytes(32)).decode()
        _awaiting_setup[session] = user
        return {
            "ChallengeName": "MFA_SETUP",
            "Session": session,
            "ChallengeParameters": {
                "MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]',
                "USER_ID_FOR_SRP": username,
            },
        }
    return _challenge_for_user(pool, user, pid, username)


def _associate_software_token(data):
    status, headers, body = _associate(data)
    user = _awaiting_setup.pop(data.get("Session") or "", None)
    if user is not None and status == 200:
        _awaiting_setup[json.loads(body)["Session"]] = user
    return status, headers, body


def _verify_software_token(data):
    session = data.get("Session") or ""
    secret = cognito._totp_session_secrets.get(session)
    user = _awaiting_setup.get(session)
    status, headers, body = _verify(data)
    if status == 200 and user is not None and secret:
        _awaiting_setup.pop(session, None)
        user["_totp_secret"] = secret
        enabled = user.setdefault("_mfa_enabled", [])
        if "SOFTWARE_TOKEN_MFA" not in enabled:
            enabled.append("SOFTWARE_TOKEN_MFA")
        user["_preferred_mfa"] = "SOFTWARE_TOKEN_MFA"
    return status, headers, body


cognito._mfa_challenge_for_user = _mfa_challenge_for_user
cognito._associate_software_token = _associate_software_token
cognito._verify_software_token = _verify_software_token

if __name__ == "__main__":
    from ministack.app import main

    sys.exit(main())
