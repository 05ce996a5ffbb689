"""Reads of units and memberships."""

from django.db.models import QuerySet

from .models import Membership, Unit, UnitGroup


def memberships_of(user) -> QuerySet[Membership]:
    """The user's roles in units, with unit and group loaded."""
    return Membership.objects.filter(user=user).select_related("unit", "unit__group").order_by("unit__group__order", "unit__name")


def unit_groups() -> QuerySet[UnitGroup]:
    return UnitGroup.objects.all()


def active_units(group: UnitGroup | None = None) -> QuerySet[Unit]:
    qs = Unit.objects.filter(is_active=True).select_related("group")
    return qs.filter(group=group) if group else qs
