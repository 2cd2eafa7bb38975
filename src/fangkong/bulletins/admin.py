from django.contrib import admin

from fangkong.bulletins.models import IssuedBulletin
from fangkong.core.admin import ReadOnlyAdmin


@admin.register(IssuedBulletin)
class IssuedBulletinAdmin(ReadOnlyAdmin):
    """Read-only: an issued bulletin never changes."""

    list_display = ["title", "as_of", "unit", "issued_at", "issued_by_label"]
    list_filter = ["kind"]
    readonly_fields = [field.name for field in IssuedBulletin._meta.fields]
