"""``manage.py criteria_summary [--json] [--year N]``: per set, group code, year, issuing parent unit's code (""
for a province-wide set), counts of fields, criteria and sub-criteria, appraisal max and survey max (points)."""

import json

from django.core.management.base import BaseCommand

from criteria.models import CriteriaSet
from criteria.scales import plain
from criteria.selectors import criteria_set_summaries


def _number(value):
    """Points as a JSON number: 63 or 61.5 (exact for the halves and quarters points come in)."""
    value = plain(value)
    return int(value) if value == value.to_integral() else float(value)


class Command(BaseCommand):
    help = "Tóm tắt các bộ chỉ số: số lĩnh vực, tiêu chí, tiêu chí thành phần, điểm thẩm định, điểm điều tra XHH."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--year", type=int)

    def handle(self, *args, **options):
        sets = CriteriaSet.objects.select_related("group", "parent_unit").order_by(
            "-year", "group__order", "parent_unit__order", "parent_unit__code"
        )
        if options["year"]:
            sets = sets.filter(year=options["year"])
        sets = list(sets)
        summaries = criteria_set_summaries(sets)
        rows = []
        for s in sets:
            sm = summaries[s.pk]
            rows.append(
                {
                    "group": s.group.code,
                    "year": s.year,
                    "parent_unit": s.parent_unit.code if s.parent_unit else "",
                    "name": s.name,
                    "fields": sm["fields"],
                    "criteria": sm["criteria"],
                    "sub_criteria": sm["sub_criteria"],
                    "appraisal_max": _number(sm["appraisal_max"]),
                    "survey_max": _number(sm["survey_max"]),
                    "frozen": s.is_frozen,
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(
                f"{r['group']:<6} {r['parent_unit']:<6} {r['year']}  {r['fields']} lĩnh vực  {r['criteria']:>3} tiêu chí  "
                f"{r['sub_criteria']:>3} TCTP  thẩm định {r['appraisal_max']:>6}  XHH {r['survey_max']:>6}  {r['name']}"
            )
