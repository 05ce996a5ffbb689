"""Admin for units and roles; units import/export as xlsx through django-import-export."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from import_export import fields, resources
from import_export.admin import ImportExportModelAdmin
from import_export.widgets import ForeignKeyWidget
from simple_history.admin import SimpleHistoryAdmin

from .models import Membership, Notification, Reorganisation, ReorganisationUnit, Unit, UnitGroup


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
    list_display = ("code", "name", "group", "parent", "is_active", "valid_from", "valid_to", "lineage")
    list_filter = ("group", "is_active")
    search_fields = ("code", "name", "short_name")
    # Lineage is written by the reorganisation services (the "Sắp xếp đơn vị" page), never by hand.
    readonly_fields = ("predecessors_list", "lineage")
    exclude = ("predecessors",)
    inlines = [MembershipInline]

    @admin.display(description="lịch sử sắp xếp")
    def lineage(self, obj):
        if obj.pk is None:
            return "—"
        return format_html('<a href="{}">Xem</a>', reverse("reorganisation:lineage", args=[obj.pk]))

    @admin.display(description="đơn vị tiền thân")
    def predecessors_list(self, obj):
        return ", ".join(p.name for p in obj.predecessors.all()) if obj.pk else "—"


class ReorganisationUnitInline(admin.TabularInline):
    model = ReorganisationUnit
    extra = 0
    can_delete = False
    readonly_fields = ("role", "unit", "share")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reorganisation)
class ReorganisationAdmin(SimpleHistoryAdmin):
    """Read-only list and history of reorganisations; they are performed on the "Sắp xếp đơn vị" page
    (``reorganisation:perform``), which calls the services."""

    list_display = ("effective", "kind", "basis", "created_by", "created_at")
    list_filter = ("kind", "effective")
    search_fields = ("basis", "note", "links__unit__name", "links__unit__code")
    date_hierarchy = "effective"
    readonly_fields = ("kind", "effective", "basis", "note", "created_by", "created_at")
    inlines = [ReorganisationUnitInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": "Sắp xếp đơn vị (thực hiện tại trang «Sắp xếp đơn vị»)",
        }
        return super().changelist_view(request, extra_context)


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
