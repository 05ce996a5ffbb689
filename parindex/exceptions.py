"""Domain errors shared by the apps' services (CONVENTIONS.md "Writes").

Services raise Django's ``ValidationError`` (Vietnamese message) for bad input, Django's
``PermissionDenied`` for an actor who may not act, and the classes below for the rest. Views turn them
into messages next to the form (400/409) or 403 pages; nothing is stored when one is raised.
"""

from django.core.exceptions import ValidationError


class InvalidTransition(ValidationError):
    """A workflow step that the object's current state does not allow (e.g. editing a frozen set)."""


class WorkbookInvalid(ValidationError):
    """An uploaded workbook with problems. ``problems``: list of ``criteria.tree.Problem`` (sheet, row,
    column, message); nothing was imported."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__([str(p) for p in self.problems] or ["Tệp không hợp lệ."])


class StaleEdit(ValidationError):
    """A write based on a version someone else has since changed (optimistic concurrency).

    ``current``: the object as it is now, so the page can show the current value."""

    def __init__(self, message, current):
        self.current = current
        super().__init__(message)


class Incomplete(ValidationError):
    """An action whose preconditions are not met. ``items``: list of ``(object, message)`` for the page
    to list with links (e.g. the leaves missing before an assessment can be submitted)."""

    def __init__(self, message, items):
        self.items = list(items)
        super().__init__([message] + [m for _, m in self.items])
