"""Admin for units and roles; units import/export as xlsx through django-import-export."""

from django.contrib import admin
from import_export import fields, resources
from import_export.admin import ImportExportModelAdmin
from import_export.widgets import ForeignKeyWidget

from .models import Membership, Notification, Unit, UnitGroup


class UnitResource(resources.ModelResource):
    group = fields.Field(attribute="group", column_name="group", widget=ForeignKeyWidget(UnitGroup, "code"))
    parent = fields.Field(attribute="parent", column_name="parent", widget=ForeignKeyWidget(Unit, "code"))

    class Meta:
        model = Unit
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "short_name",
            "group",
            "parent",
            "order",
            "is_active",
            "valid_from",
            "valid_to",
        )
        skip_unchanged = True


@admin.register(UnitGroup)
class UnitGroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "order")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Unit)
class UnitAdmin(ImportExportModelAdmin):
    resource_classes = [UnitResource]
    list_display = ("code", "name", "group", "parent", "is_active", "valid_from", "valid_to")
    list_filter = ("group", "is_active")
    search_fields = ("code", "name", "short_name")
    filter_horizontal = ("predecessors",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "role")
    list_filter = ("role", "unit__group")
    search_fields = ("user__username", "unit__name")
    autocomplete_fields = ("user", "unit")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only view of notifications, for support ("did the mail go out?"); they are written by services."""

    list_display = (
        "created_at",
        "user",
        "subject",
        "read_at",
        "email_status",
        "emailed_at",
        "email_attempts",
    )
    list_filter = (("read_at", admin.EmptyFieldListFilter), "email_status")
    search_fields = ("user__username", "subject")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "user",
        "subject",
        "body",
        "url",
        "created_at",
        "read_at",
        "email_status",
        "emailed_at",
        "email_attempts",
        "email_next_at",
        "email_error",
    )

    def has_add_permission(self, request):
        return False
