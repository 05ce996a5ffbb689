"""``manage.py import_criteria FILE --group CODE --year N [--parent UNIT] [--dry-run] [--replace]``

``--parent``: the code of the unit issuing the set for its subordinate units of the group (a district's set for
its communes, e.g. ``--group XA --parent HTD``).

Imports a criteria workbook with the same service as the page (all or nothing). Every problem is
printed as "sheet · row · column: message"; the exit status is 1 when there is any.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from criteria.scope import set_scope_refusal
from criteria.services import criteria_set_import, criteria_workbook_check
from criteria.tree import summarize
from parindex.exceptions import WorkbookInvalid
from units.models import Unit, UnitGroup
from units.services import system_user


class Command(BaseCommand):
    help = "Nhập bộ chỉ số từ tệp Excel theo mẫu (xem README)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--group", required=True, help="mã nhóm đơn vị, ví dụ SO")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument(
            "--parent",
            default="",
            help="mã đơn vị ban hành cho các đơn vị trực thuộc, ví dụ HTD (để trống: của tỉnh)",
        )
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")
        parser.add_argument(
            "--replace", action="store_true", help="thay thế bộ chỉ số hiện có (nếu chưa khóa)"
        )

    def handle(
        self,
        *args,
        file: Path,
        group: str,
        year: int,
        dry_run: bool,
        replace: bool,
        parent: str = "",
        **options,
    ):
        try:
            unit_group = UnitGroup.objects.get(code=group)
        except UnitGroup.DoesNotExist as exc:
            raise CommandError(f"Không có nhóm đơn vị mã '{group}'.") from exc
        parent_unit = Unit.objects.select_related("group").filter(code=parent).first() if parent else None
        if parent and parent_unit is None:
            raise CommandError(f"Không có đơn vị mã '{parent}'.")
        refusal = set_scope_refusal(group=unit_group, year=year, parent_unit=parent_unit)
        if refusal:
            raise CommandError(refusal)
        if not file.is_file():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        data = file.read_bytes()
        result = criteria_workbook_check(data=data, year=year, parent_unit=parent_unit)
        for warning in result.warnings:
            self.stderr.write(f"Lưu ý: {warning}")
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(result.problems)} lỗi; không nhập gì.")
        s = summarize(result.spec.nodes)
        line = (
            f"{unit_group.code}{' ' + parent_unit.code if parent_unit else ''} {year}: {s['fields']} lĩnh vực, {s['criteria']} tiêu chí, {s['sub_criteria']} tiêu chí "
            f"thành phần; thẩm định {s['appraisal_max']}, điều tra XHH {s['survey_max']}"
        )
        if dry_run:
            self.stdout.write(f"Hợp lệ (chạy thử, chưa ghi): {line}")
            return
        try:
            criteria_set_import(
                group=unit_group,
                year=year,
                data=data,
                filename=file.name,
                by=system_user(),
                replace=replace,
                parent_unit=parent_unit,
            )
        except WorkbookInvalid as exc:  # pragma: no cover — checked above
            raise CommandError("; ".join(map(str, exc.problems))) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Đã nhập {line}"))
