from django.contrib import admin

from fangkong.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "unit", "object_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "object_id"]
    date_hierarchy = "at"

    # The audit log is append-only, also in the back office.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
