from django.contrib import admin

from fangkong.people.models import Household, Person, StatusPeriod


class StatusPeriodInline(admin.TabularInline):
    model = StatusPeriod
    extra = 0
    readonly_fields = ["status", "started_at", "ended_at", "note", "recorded_by"]
    can_delete = False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "masked_id_number",
        "masked_phone",
        "home_unit",
        "status",
        "is_resident",
    ]
    list_filter = ["status", "is_resident", "has_smartphone", "sex"]
    search_fields = ["name", "id_number_last4"]
    raw_id_fields = ["home_unit", "household"]
    # Ciphertexts and hashes are never edited by hand.
    exclude = ["id_number_encrypted", "id_number_hash", "phone_encrypted", "phone_hash"]
    readonly_fields = [
        "masked_id_number",
        "masked_phone",
        "id_number_prefix",
        "id_number_last4",
        "phone_prefix",
        "phone_last4",
        "sex",
        "birth_date",
        "status",
        "status_since",
    ]
    inlines = [StatusPeriodInline]

    def has_add_permission(self, request) -> bool:
        return False  # people are registered through the import or the API (validation)


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["label", "unit"]
    search_fields = ["label"]
    raw_id_fields = ["unit"]
