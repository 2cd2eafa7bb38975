from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from fangkong.checkpoints import services
from fangkong.checkpoints.models import Checkpoint, CheckpointStaff, Entry, PassCode
from fangkong.core.admin import ReadOnlyAdmin
from fangkong.core.audit import Actor


class CheckpointStaffFormSet(BaseInlineFormSet):
    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if form.instance.pk is not None:
            # Changing the user of a binding would bind the new one and leave
            # the old one bound: remove the row and add another instead.
            form.fields["user"].disabled = True

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            user = form.cleaned_data.get("user") if form.cleaned_data else None
            staying = user is not None and not form.cleaned_data.get("DELETE")
            if staying and not services.can_work_at(user, self.instance):
                raise ValidationError(
                    _("%(user)s holds no gate role covering the checkpoint's unit") % {"user": user}
                )


class CheckpointStaffInline(admin.TabularInline):
    model = CheckpointStaff
    formset = CheckpointStaffFormSet
    extra = 1
    raw_id_fields = ["user"]
    readonly_fields = ["bound_at"]


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "kind", "is_active", "fever_threshold", "mask_required"]
    list_filter = ["kind", "is_active", "star_action", "negative_test_required"]
    search_fields = ["name", "unit__name", "unit__code"]
    raw_id_fields = ["unit"]
    inlines = [CheckpointStaffInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # A checkpoint stays at its unit: its entries and figures belong there.
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if obj is None else [*readonly, "unit"]

    def save_model(self, request, obj, form, change) -> None:
        # Through the services, so the policy is checked and the change audited.
        actor = Actor.for_user(request.user)
        policy = {field: getattr(obj, field) for field in services.POLICY_FIELDS}
        if change:
            services.update_checkpoint(
                actor, obj, name=obj.name, kind=obj.kind, is_active=obj.is_active, **policy
            )
        else:
            created = services.create_checkpoint(
                actor,
                unit=obj.unit,
                name=obj.name,
                kind=obj.kind,
                is_active=obj.is_active,
                **policy,
            )
            obj.pk = created.pk

    def save_formset(self, request, form, formset, change) -> None:
        # Staff bound through the service: checked against their roles, audited.
        if formset.model is not CheckpointStaff:
            return super().save_formset(request, form, formset, change)
        actor = Actor.for_user(request.user)
        bindings = formset.save(commit=False)
        for binding in formset.deleted_objects:
            services.unbind_staff(actor, binding.checkpoint, binding.user)
        for binding in bindings:
            services.bind_staff(actor, form.instance, binding.user)
        return None


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """Read-only: entries come from the gates and leave through the purge."""

    list_display = [
        "observed_at",
        "checkpoint",
        "direction",
        "decision",
        "attempt",
        "identified_by",
        "method",
    ]
    list_filter = ["decision", "direction", "method", "identified_by", "health_code"]
    date_hierarchy = "observed_at"
    raw_id_fields = ["checkpoint", "unit", "person", "previous_attempt", "operator", "device"]
    exclude = ["content_hash", "subject_key"]
    show_full_result_count = False


@admin.register(PassCode)
class PassCodeAdmin(ReadOnlyAdmin):
    """Read-only: codes are issued and reissued on the pass-code pages, which
    audit it; a change or deletion here would leave no trace."""

    list_display = ["person", "version", "issued_on", "issued_by"]
