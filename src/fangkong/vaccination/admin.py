from django.contrib import admin

from fangkong.vaccination.models import Dose, TargetPopulation


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records change through services (validated, audited): the back office looks only."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Dose)
class DoseAdmin(ReadOnlyAdmin):
    list_display = ["person", "dose_number", "vaccine", "administered_at", "unit", "recorded_by"]
    list_filter = ["dose_number"]
    raw_id_fields = ["person", "unit"]
    date_hierarchy = "administered_at"


@admin.register(TargetPopulation)
class TargetPopulationAdmin(ReadOnlyAdmin):
    list_display = ["unit", "group", "population", "valid_from"]
    list_filter = ["group"]
    raw_id_fields = ["unit"]
