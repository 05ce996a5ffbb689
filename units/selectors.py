"""Reads of units, memberships and notifications."""

from django.db.models import QuerySet

from .models import Membership, Notification


def memberships_of(user) -> QuerySet[Membership]:
    """The user's roles in units, with unit and group loaded."""
    return (
        Membership.objects.filter(user=user)
        .select_related("unit", "unit__group")
        .order_by("unit__group__order", "unit__name")
    )


def notifications_for(user) -> QuerySet[Notification]:
    """``user``'s notifications, newest first (ties by id, so pages are stable); none for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    """How many of ``user``'s notifications are unread (one COUNT query; 0 for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
