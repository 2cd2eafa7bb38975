from django.utils.translation import gettext_lazy as _

from fangkong.core.navigation import NavLink

LINKS = [
    NavLink(_("People"), "people:search", "people.view", _("Find a resident")),
    NavLink(_("Import residents"), "people:import", "people.import", _("CSV or XLSX registry")),
]
