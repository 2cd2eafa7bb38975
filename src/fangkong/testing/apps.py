from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestingConfig(AppConfig):
    """Mass nucleic-acid testing (全员核酸检测). The label is "testing"; the
    test-factory module `fangkong.core.testing` is unrelated."""

    name = "fangkong.testing"
    label = "testing"
    verbose_name = _("Mass testing")
