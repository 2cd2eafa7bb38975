from django.utils.translation import gettext_lazy as _

from fangkong.core.navigation import NavLink

LINKS = [
    NavLink(_("Sampling"), "testing:sampling", "testing.sample", _("Swab people into tubes")),
    NavLink(_("Lab"), "testing:lab", "testing.lab", _("Receive tubes, import results")),
    NavLink(
        _("Mass testing"),
        "testing:rounds",
        "testing.view",
        _("Coverage, door-to-door list, retests"),
    ),
]
