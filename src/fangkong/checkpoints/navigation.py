from django.utils.translation import gettext_lazy as _

from fangkong.core.navigation import NavLink

LINKS = [
    NavLink(
        _("Checkpoints"),
        "checkpoints:list",
        "checkpoints.view",
        _("Gate duty, entries, figures"),
    ),
    NavLink(
        _("Pass codes"),
        "checkpoints:codes",
        "checkpoints.manage",
        _("One code per person; print cards"),
    ),
    NavLink(
        _("Gate figures"),
        "checkpoints:unit_figures",
        "checkpoints.view",
        _("Entries by unit and day"),
    ),
]
