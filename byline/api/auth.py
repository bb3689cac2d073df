"""Admin API tokens, as Ghost issues them: `Authorization: Ghost <JWT>`, signed HS256 with the hex-decoded
secret of an integration's Admin API key, `kid` naming the key, audience `/admin/`, at most 5 minutes old.
"""

import re
import time

import jwt

from byline.api.errors import NoPermission, Unauthorized
from byline.api.models import Integration

MAX_AGE = 5 * 60
CLOCK_SKEW = 10  # seconds of disagreement between the client's clock and ours that we forgive
AUDIENCE = re.compile(r"^/?(?:v[2-5]/|canary/)?admin/?$")


def integration_for_admin_request(request) -> Integration:
    header = request.headers.get("Authorization", "")
    if not header:
        raise NoPermission(
            "Authorization failed", "Unable to determine the authenticated user or integration."
        )
    scheme, _, token = header.partition(" ")
    if scheme != "Ghost" or not token.strip():
        raise Unauthorized(
            'Authorization header format is "Authorization: Ghost [token]"', code="INVALID_AUTH_HEADER"
        )
    return integration_for_token(token.strip())


def integration_for_token(token: str, now: float | None = None) -> Integration:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Unauthorized("Invalid token", "The token is not a JWT.", code="INVALID_JWT")
    key_id = header.get("kid")
    if header.get("alg") != "HS256" or not isinstance(key_id, str):
        raise Unauthorized(
            "Invalid token", "Tokens are signed HS256 and name their key in kid.", code="INVALID_JWT"
        )
    integration = Integration.objects.filter(admin_key_id=key_id).first()
    if integration is None:
        raise Unauthorized("Unknown Admin API Key", code="UNKNOWN_ADMIN_API_KEY")
    now = time.time() if now is None else now
    try:
        claims = jwt.decode(
            token,
            bytes.fromhex(integration.admin_secret),
            algorithms=["HS256"],
            options={
                "verify_aud": False,
                "require": ["iat", "exp"],
                "verify_iat": False,
                "verify_exp": False,
            },
        )
    except jwt.InvalidTokenError as error:
        raise Unauthorized("Invalid token", str(error), code="INVALID_JWT")
    issued, expires = claims["iat"], claims["exp"]
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        raise Unauthorized("Invalid token", "iat and exp must be numbers.", code="INVALID_JWT")
    if expires < now - CLOCK_SKEW or issued > now + CLOCK_SKEW:
        raise Unauthorized("Invalid token: jwt expired", code="INVALID_JWT")
    if now - issued > MAX_AGE + CLOCK_SKEW or expires - issued > MAX_AGE:
        raise Unauthorized(
            "Invalid token: maxAge exceeded", "Admin tokens live 5 minutes at most.", code="INVALID_JWT"
        )
    audience = claims.get("aud")
    if not isinstance(audience, str) or not AUDIENCE.match(audience):
        raise Unauthorized(
            "Invalid token: jwt audience invalid", "The audience must be /admin/.", code="INVALID_JWT"
        )
    return integration
