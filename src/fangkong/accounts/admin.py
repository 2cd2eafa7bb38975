from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from fangkong.accounts.models import DeviceToken, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1
    raw_id_fields = ["unit"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "display_name", "is_active", "is_superuser", "last_login"]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Fangkong", {"fields": ("display_name", "phone")}))


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "token_prefix", "created_at", "last_used_at", "revoked_at"]
    raw_id_fields = ["unit"]
    readonly_fields = ["token_prefix", "created_at", "created_by", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False  # created with `fangkong device-token`, which shows the token once
