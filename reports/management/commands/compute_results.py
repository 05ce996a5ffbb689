"""``manage.py compute_results <year>``: recompute a round's PAR Index snapshot now (reports.results.services)."""

from django.core.management.base import BaseCommand, CommandError

from assessments.models import AssessmentRound
from reports.results.services import results_compute


class Command(BaseCommand):
    help = (
        "Tính lại Chỉ số CCHC (kết quả, chỉ số thành phần, xếp loại, xếp hạng) của đợt đánh giá năm đã cho."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="năm của đợt đánh giá, ví dụ 2026")

    def handle(self, *args, year: int, **options):
        rnd = AssessmentRound.objects.filter(year=year).first()
        if rnd is None:
            raise CommandError(f"Không có đợt đánh giá năm {year}.")
        count = results_compute(round=rnd)
        self.stdout.write(self.style.SUCCESS(f"Đã tính kết quả của {count} đơn vị, đợt đánh giá năm {year}."))
