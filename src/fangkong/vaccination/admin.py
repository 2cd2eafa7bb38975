from django.contrib import admin

from fangkong.core.admin import ReadOnlyAdmin
from fangkong.vaccination.models import Dose, TargetPopulation


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
