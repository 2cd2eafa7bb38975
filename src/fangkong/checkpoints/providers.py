"""What checkpoints offers other apps through discovery
(`fangkong.core.discovery.app_modules("providers")`): the testing app's
samplers scan pass codes with this."""

from __future__ import annotations

from django.utils.translation import gettext as _

from fangkong.checkpoints import passcodes
from fangkong.checkpoints.models import PassCode
from fangkong.core.errors import FieldError


def person_id_from_pass_code(code: str) -> int:
    """The person a valid, current pass code belongs to. Raises
    FieldError("code", reason) for a code that is unreadable, tampered with
    or signed by another key ("pass code invalid"), or replaced by a
    reissued one ("pass code revoked")."""
    try:
        claims = passcodes.read(code)
    except passcodes.PassCodeError:
        raise FieldError("code", _("pass code invalid")) from None
    current = PassCode.objects.filter(person_id=claims.person_id).values_list("version", flat=True)
    problem = passcodes.version_problem(claims.version, current.first())
    if problem == "invalid":
        raise FieldError("code", _("pass code invalid"))
    if problem == "revoked":
        raise FieldError("code", _("pass code revoked (a new one was issued)"))
    return claims.person_id
