from django.contrib import admin

from fangkong.regions.models import Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "parent", "depth"]
    list_filter = ["kind", "depth"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Paths and codes are maintained by regions.services; edit through it.
        return False if obj is not None else super().has_change_permission(request, obj)
