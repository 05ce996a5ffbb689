"""``{% import_report result as report %}``: what the import pages' problem partial shows first.

Shared by the four import pages through ``templates/partials/import_problems.html``.
"""

from django import template

from parindex.xlsx import sort_problems

register = template.Library()

#: More warnings than this are shown collapsed (``<details>``).
WARNINGS_SHOWN_OPEN = 5


@register.simple_tag
def import_report(result) -> dict:
    """A summary of an import ``result`` (anything with ``problems`` and ``warnings`` lists of ``Problem``).

    Returns ``{"errors": [Problem], "warnings": [Problem]`` (both sorted by sheet, row, column),
    ``"sheets": [{"sheet": name ("" = the whole file), "errors": n, "warnings": n}]`` (in the same order),
    ``"collapse": bool}`` (warnings longer than ``WARNINGS_SHOWN_OPEN``).
    """
    errors = sort_problems(getattr(result, "problems", None) or [])
    warnings = sort_problems(getattr(result, "warnings", None) or [])
    sheets: dict[str, dict] = {}
    for problem in sort_problems(errors + warnings):
        sheets.setdefault(problem.sheet or "", {"sheet": problem.sheet or "", "errors": 0, "warnings": 0})
    for kind, items in (("errors", errors), ("warnings", warnings)):
        for problem in items:
            sheets[problem.sheet or ""][kind] += 1
    return {
        "errors": errors,
        "warnings": warnings,
        "sheets": list(sheets.values()),
        "collapse": len(warnings) > WARNINGS_SHOWN_OPEN,
    }
