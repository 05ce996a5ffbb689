"""Admin views of criteria sets: read-mostly. The tree changes only through the import/clone services
(which validate the whole tree); frozen sets are read-only."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from parindex.admin import ReadOnlyAdminMixin

from .models import CriteriaSet, Criterion, GradeBand


class GradeBandInline(admin.TabularInline):
    model = GradeBand
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_frozen

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(CriteriaSet)
class CriteriaSetAdmin(SimpleHistoryAdmin):
    list_display = ("name", "group", "year", "parent_unit", "frozen_at")
    list_filter = ("year", "group")
    # the issuing unit is set by the import (criteria.scope checks it), never edited afterwards
    readonly_fields = (
        "parent_unit",
        "frozen_at",
        "cloned_from",
        "source_filename",
        "created_at",
        "updated_at",
    )
    inlines = [GradeBandInline]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_frozen)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.is_frozen)


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("code", "title", "criteria_set", "max_points", "source", "kind", "owner")
    list_filter = ("criteria_set", "level", "source", "kind")
    search_fields = ("code", "title")
