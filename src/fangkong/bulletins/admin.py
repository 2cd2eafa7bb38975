from django.contrib import admin

from fangkong.bulletins.models import IssuedBulletin


@admin.register(IssuedBulletin)
class IssuedBulletinAdmin(admin.ModelAdmin):
    """Read-only: an issued bulletin never changes."""

    list_display = ["title", "as_of", "unit", "issued_at", "issued_by_label"]
    list_filter = ["kind"]
    readonly_fields = [field.name for field in IssuedBulletin._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
