"""Shared pieces of the apps' admin views."""


class ReadOnlyAdminMixin:
    """Mixed into a ``ModelAdmin`` (before it) for rows only the services write: the admin lists and shows
    them, never adds, changes or deletes one."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
