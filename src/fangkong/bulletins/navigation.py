from django.utils.translation import gettext_lazy as _

from fangkong.core.navigation import NavLink

LINKS = [
    NavLink(
        _("Bulletins"),
        "bulletins:index",
        "bulletins.view",
        _("Preview, issue and download the progress bulletins"),
    ),
    NavLink(_("Issued bulletins"), "bulletins:archive", "bulletins.view", _("The archive")),
]
