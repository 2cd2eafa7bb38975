from django.utils.translation import gettext_lazy as _

from fangkong.core.navigation import NavLink

LINKS = [NavLink(_("Units"), "regions:tree", "units.view", _("The administrative tree"))]
