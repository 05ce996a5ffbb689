"""Admin views of rounds and assessments: a fallback for admins, with history. Rounds are created and
opened on the round pages (services freeze sets and create assessments); here a round's name and dates
can be corrected before publication and its sets only while it is in preparation. Assessments are
read-only: scores change through the scoring page, which checks the workflow and audits every change."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from parindex.admin import ReadOnlyAdminMixin

from .models import Assessment, AssessmentRound, RoundSet, RoundState


class RoundSetInline(admin.TabularInline):
    model = RoundSet
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.state == RoundState.DRAFT

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(AssessmentRound)
class AssessmentRoundAdmin(SimpleHistoryAdmin):
    list_display = ("year", "name", "state", "opens_on", "self_assessment_deadline", "publication_date")
    list_filter = ("state",)
    readonly_fields = ("state", "opened_at", "opened_by", "created_at")
    inlines = [RoundSetInline]

    def has_add_permission(self, request):
        return False  # the round pages create rounds (services.round_create)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.state != RoundState.PUBLISHED
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.state == RoundState.DRAFT)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("unit", "round", "criteria_set", "state", "submitted_at", "updated_at")
    list_filter = ("round", "state", "unit__group")
    search_fields = ("unit__name", "unit__code")
    list_select_related = ("unit", "round", "criteria_set")
