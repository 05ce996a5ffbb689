"""Admin of the online survey (issue 15), until the coordinator has pages of its own: questionnaires with
their questions (frozen once answered), campaigns (create codes, close), the codes (read only). Only the
coordinator and admins (rule ``surveys.manage_online``) with staff status reach it."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html, format_html_join

from parindex.admin import ReadOnlyAdminMixin
from parindex.exceptions import InvalidTransition

from .models import Campaign, Invitation, OnlineAnswer, Question, Questionnaire
from .online import selectors, services

CODES_PER_ACTION = 10


class ManagedMixin:
    """Every permission of the admin = the rule ``surveys.manage_online``."""

    def _may(self, request):
        return request.user.has_perm("surveys.manage_online")

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request)

    def has_add_permission(self, request, obj=None):
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request)

    def has_delete_permission(self, request, obj=None):
        return self._may(request)


def _frozen(obj) -> bool:
    return bool(obj and obj.pk and OnlineAnswer.objects.filter(question__questionnaire=obj).exists())


class QuestionInline(ManagedMixin, admin.TabularInline):
    model = Question
    extra = 1
    fields = ("order", "code", "text", "kind", "leaf_code", "weight")

    def has_add_permission(self, request, obj=None):
        return self._may(request) and not _frozen(obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request) and not _frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request) and not _frozen(obj)


@admin.register(Questionnaire)
class QuestionnaireAdmin(ManagedMixin, admin.ModelAdmin):
    list_display = ("round", "respondent_group", "title")
    list_filter = ("round",)
    inlines = [QuestionInline]

    def has_delete_permission(self, request, obj=None):
        return self._may(request) and not _frozen(obj)


@admin.register(Campaign)
class CampaignAdmin(ManagedMixin, admin.ModelAdmin):
    list_display = ("title", "round", "starts_at", "ends_at", "closed_at")
    list_filter = ("round",)
    filter_horizontal = ("units", "questionnaires")
    readonly_fields = ("closed_at", "closed_by", "progress")

    @admin.display(description="tiến độ (đã trả lời / số mã; cỡ mẫu n)")
    def progress(self, obj):
        if not obj or not obj.pk:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{r.unit_code} · {r.unit_name}",
                    "; ".join(f"{g}: {n}/{k}" for g, (n, k) in sorted(r.groups.items())) or "—",
                    r.answered,
                    "—" if r.required is None else f"{r.required} ({'đủ' if r.enough else 'chưa đủ'})",
                )
                for r in selectors.campaign_progress(obj)
            ),
        )
        return format_html(
            "<table><thead><tr><th>Đơn vị</th><th>Theo nhóm</th><th>Đã trả lời</th><th>Cỡ mẫu n</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )

    actions = ["make_codes", "close"]

    @admin.action(description=f"Tạo {CODES_PER_ACTION} mã cho mỗi đơn vị × phiếu của đợt")
    def make_codes(self, request, queryset):
        for campaign in queryset:
            try:
                n = 0
                for unit in campaign.units.all():
                    for questionnaire in campaign.questionnaires.all():
                        n += len(
                            services.invitations_create(
                                campaign=campaign,
                                unit=unit,
                                questionnaire=questionnaire,
                                count=CODES_PER_ACTION,
                                by=request.user,
                            )
                        )
                self.message_user(request, f"{campaign}: đã tạo {n} mã.", messages.SUCCESS)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(
                    request, f"{campaign}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )

    @admin.action(description="Đóng đợt và tính điểm điều tra XHH")
    def close(self, request, queryset):
        for campaign in queryset:
            try:
                done = services.campaign_close(campaign, request.user)
            except (PermissionDenied, ValidationError, InvalidTransition) as exc:
                text = "; ".join(getattr(exc, "messages", None) or [str(exc)])
                self.message_user(request, f"{campaign}: {text}", messages.ERROR)
                continue
            self.message_user(
                request, f"{campaign}: đã đóng, {done.changed} điểm thay đổi.", messages.SUCCESS
            )


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, ManagedMixin, admin.ModelAdmin):
    list_display = ("code", "campaign", "unit", "questionnaire", "used_at")
    list_filter = ("campaign", "questionnaire__respondent_group", "used_at")
    search_fields = ("code",)
