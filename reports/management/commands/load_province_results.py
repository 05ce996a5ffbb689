"""``manage.py load_province_results [--file PATH]``: load the province's published results of 004 §2.1.

Reads ``fixtures/province_results.json`` (component % of each field 2016–2021, ranks 49/63 in 2016 and
18/63 in 2021) through ``reports.province.services.province_results_load_documented``: creates missing years and
fills values not yet recorded, never overwriting one (a coordinator's correction wins). Idempotent.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.province.services import DOCUMENTED_FIXTURE, province_results_load_documented
from units.services import system_user


class Command(BaseCommand):
    help = "Nạp kết quả Chỉ số CCHC của tỉnh các năm 2016–2021 (Đề án 004 §2.1); không ghi đè số liệu đã có."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", type=Path, default=DOCUMENTED_FIXTURE, help="tệp số liệu (định dạng fixture)"
        )

    def handle(self, *args, file: Path, **options):
        try:
            counts = province_results_load_documented(path=file, by=system_user())
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self.stdout.write(
            f"Kết quả của tỉnh: {counts['years_created']} năm mới, "
            f"{counts['values_filled']} giá trị được nạp."
        )
