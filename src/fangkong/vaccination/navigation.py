from django.utils.translation import gettext_lazy as _

from fangkong.core.navigation import NavLink

LINKS = [
    NavLink(_("Record a dose"), "vaccination:record", "vaccination.record", _("A dose given here")),
]
