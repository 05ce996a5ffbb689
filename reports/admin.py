"""Admin views of the reports app, read-only: results are written by ``reports.results.services.results_compute`` only (an
admin corrects a score, never a result), export jobs by ``reports.exports.services``. Admins may delete export jobs
(their files go with them, as in ``exports_purge``)."""

from django.contrib import admin

from .models import ComponentResult, ExportJob, PendingRecompute, Result


class ReadOnlyAdmin(admin.ModelAdmin):
    """A model admin that lists and shows, never adds or changes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ComponentResultInline(admin.TabularInline):
    model = ComponentResult
    fields = ("field", "achieved", "applicable_max", "index_percent")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ("unit", "round", "group", "par_index", "grade", "rank", "provisional", "computed_at")
    list_filter = ("round", "group", "grade", "provisional")
    search_fields = ("unit__name", "unit__code")
    list_select_related = ("unit", "round", "group")
    inlines = [ComponentResultInline]

    def has_delete_permission(self, request, obj=None):
        return False  # a result goes with its assessment


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "requested_by",
        "round",
        "group",
        "format",
        "state",
        "progress",
        "attempts",
        "created_at",
        "heartbeat_at",
        "finished_at",
        "error",
    )
    list_filter = ("state", "format", "round")
    list_select_related = ("requested_by", "round", "group")

    def delete_model(self, request, obj):
        obj.file.delete(save=False)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for job in queryset:
            job.file.delete(save=False)
        super().delete_queryset(request, queryset)


@admin.register(PendingRecompute)
class PendingRecomputeAdmin(ReadOnlyAdmin):
    """The recomputes still owed (``reports.results.services.results_recompute_later``); the sweep empties it."""

    list_display = ("round", "assessment", "requested_at")
    list_select_related = ("round", "assessment")
