"""``manage.py setup_portal [--year N] [--demo]``: load the province's real structure, idempotently.

Loads ``fixtures/units.json`` (unit groups and units of Sóc Trăng in 2024, the 108 communes under their 11
districts; only what does not exist yet) and applies the reorganisations of ``fixtures/reorganisation-2025.json``
through ``units.reorganisation.services`` (the departments' mergers of 1 March 2025, the 43 communes of
1 July 2025, the districts closed on 30 June 2025; each once), imports the four shipped criteria
workbooks ``fixtures/criteria/<GROUP>.xlsx`` for ``--year`` (default: this year) through the same import
service admins use, skipping a group that already has its set that year, and with ``--demo`` creates one
demo account per role and one demo appraiser per owner agency of the shipped sets, prints the accounts (user
name, role, unit, password) in a table, opens the year's round (deadlines
counted from today) so the demo officer can start scoring, and loads the demo data of
``assessments.demo.demo_data_load``: rounds year − 2 and year − 1 published with results, every unit of the year's
round appraised but the demo officer's Sở Công Thương, left in draft — all named "(dữ liệu mẫu)". With the printed
accounts only, a new user can take Sở Công Thương from draft to published (``tests/test_demo_cycle.py``).
"""

import datetime
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from criteria.models import CriteriaSet
from criteria.services import criteria_set_import
from criteria.shipped import commune_sets_load, shipped_set
from parindex.exceptions import WorkbookInvalid
from units.models import Membership, Role, Unit, UnitGroup
from units.reorganisation.loader import FixtureProblem, reorganisations_load, units_fixture_load
from units.services import system_user

SHIPPED_SETS = ("SO", "DVSN", "TW", "HUYEN")

#: username, full name, role, unit code. One appraiser per agency owning a field of the shipped sets
#: (``owner:`` in fixtures/criteria/src/*.yaml: SNV, STP, VPUBND, STC, STTTT, SKHCN — STTTT's fields go to SKHCN from
#: 2025, after their merger: ``criteria.shipped.shipped_set``), so that every part of a demo assessment of the
#: year has someone to appraise it.
DEMO_ACCOUNTS = (
    ("quantri", "Quản trị hệ thống", Role.ADMIN, "SNV"),
    ("dieuphoi", "Nguyễn Văn Điều (Sở Nội vụ)", Role.COORDINATOR, "SNV"),
    ("lanhdao", "Trần Thị Lãnh (UBND tỉnh)", Role.LEADER, "UBNDT"),
    ("thamdinh", "Lê Văn Thẩm (Sở Tư pháp)", Role.APPRAISER, "STP"),
    ("thamdinh_snv", "Đặng Thị Nội (Sở Nội vụ)", Role.APPRAISER, "SNV"),
    ("thamdinh_vp", "Hồ Văn Phòng (Văn phòng UBND tỉnh)", Role.APPRAISER, "VPUBND"),
    ("thamdinh_stc", "Mai Thị Tài (Sở Tài chính)", Role.APPRAISER, "STC"),
    ("thamdinh_khcn", "Trương Thị Khoa (Sở Khoa học và Công nghệ)", Role.APPRAISER, "SKHCN"),
    ("canbo", "Phạm Thị Cán (Sở Công Thương)", Role.OFFICER, "SCT"),
    ("thutruong", "Võ Văn Trưởng (Sở Công Thương)", Role.HEAD, "SCT"),
)


class Command(BaseCommand):
    help = "Nạp cơ cấu đơn vị và bộ chỉ số của tỉnh; --demo tạo tài khoản mẫu cho mỗi vai trò."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="năm đánh giá (mặc định: năm nay)")
        parser.add_argument(
            "--demo", action="store_true", help="tạo tài khoản mẫu và dữ liệu mẫu (chỉ để thử)"
        )

    def handle(self, *args, year=None, demo=False, **options):
        year = year or timezone.localdate().year
        base = Path(settings.BASE_DIR) / "fixtures"
        units_fixture_load(base / "units.json")
        try:
            applied, kept = reorganisations_load(base / "reorganisation-2025.json", by=system_user())
        except FixtureProblem as exc:
            raise CommandError(f"reorganisation-2025.json: {exc}") from exc
        call_command("load_province_results", stdout=self.stdout)
        self.stdout.write(f"Đơn vị: {Unit.objects.count()} đơn vị trong {UnitGroup.objects.count()} nhóm.")
        self.stdout.write(
            f"Sắp xếp đơn vị năm 2025: {applied} đã thực hiện, {kept} đã có"
            f" ({Unit.objects.filter(valid_from__gte=datetime.date(2025, 7, 1), group__code='XA').count()}"
            " đơn vị cấp xã từ 01/07/2025)."
        )
        for code in SHIPPED_SETS:
            group = UnitGroup.objects.get(code=code)
            if CriteriaSet.objects.filter(group=group, year=year).exists():
                self.stdout.write(f"Bộ chỉ số {code} {year}: đã có, giữ nguyên.")
                continue
            path = base / "criteria" / f"{code}.xlsx"
            data, filename, replaced = shipped_set(code, year)
            try:
                criteria_set_import(group=group, year=year, data=data, filename=filename, by=system_user())
            except WorkbookInvalid as exc:
                raise CommandError(f"{path}: " + "; ".join(map(str, exc.problems))) from exc
            owners = f" (cơ quan thẩm định sau sắp xếp: {', '.join(replaced)})" if replaced else ""
            self.stdout.write(f"Bộ chỉ số {code} {year}: đã nhập từ {path.name}{owners}.")
        # the communes' sample set of the year's period: each district's before July 2025, the province's after
        for line in commune_sets_load(year, by=system_user()):
            self.stdout.write(line)
        if demo:
            self._demo_accounts()
            self._demo_round(year)
            self._demo_data(year)

    def _demo_round(self, year: int):
        """Open the year's round with the shipped sets (deadlines from today) unless one exists."""
        from assessments.demo import DEMO_MARK
        from assessments.models import AssessmentRound
        from assessments.services.rounds import round_create, round_open

        if AssessmentRound.objects.filter(year=year).exists():
            self.stdout.write(f"Đợt đánh giá {year}: đã có, giữ nguyên.")
            return
        coordinator = get_user_model().objects.get(username="dieuphoi")
        today = timezone.localdate()
        days = datetime.timedelta
        sets = {s.group: s for s in CriteriaSet.objects.filter(year=year).select_related("group")}
        rnd = round_create(
            year=year,
            name=f"Đánh giá Chỉ số cải cách hành chính năm {year} {DEMO_MARK}",
            sets=sets,
            by=coordinator,
            opens_on=today - days(7),
            self_assessment_deadline=today + days(40),
            appraisal_1_deadline=today + days(60),
            explanation_deadline=today + days(70),
            appraisal_2_deadline=today + days(85),
            publication_date=today + days(100),
        )
        round_open(round=rnd, by=coordinator)
        self.stdout.write(
            f"Đợt đánh giá {year}: đã mở, {rnd.assessments.count()} bản tự đánh giá "
            f"(hạn tự đánh giá {rnd.self_assessment_deadline:%d/%m/%Y})."
        )

    def _demo_data(self, year: int):
        """Past rounds with results and the year's round in progress (``assessments.demo``), created once."""
        from assessments.demo import demo_data_load

        coordinator = get_user_model().objects.get(username="dieuphoi")
        self.stdout.write(str(demo_data_load(year, by=coordinator)))

    @transaction.atomic
    def _demo_accounts(self):
        password = os.environ.get("DEMO_PASSWORD", "parindex-demo")
        User = get_user_model()
        rows = []
        for username, full_name, role, unit_code in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
            user.first_name = full_name
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.set_password(password)
            user.save()
            unit = Unit.objects.get(code=unit_code)
            Membership.objects.get_or_create(user=user, unit=unit, role=role)
            rows.append((username, role.label, f"{unit.name} ({unit_code})", password))
        self.stdout.write("\nTài khoản mẫu (chỉ dùng để thử; đổi mật khẩu hoặc xóa khi triển khai thật):")
        header = ("Tên đăng nhập", "Vai trò", "Đơn vị", "Mật khẩu")
        widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
        line = "  +" + "+".join("-" * (w + 2) for w in widths) + "+"
        self.stdout.write(line)
        for i, row in enumerate((header, *rows)):
            self.stdout.write(
                "  | " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |"
            )
            if i == 0:
                self.stdout.write(line)
        self.stdout.write(line)
        self.stdout.write(
            f"Đăng nhập tại {settings.SITE_URL} (mật khẩu mẫu đặt được bằng biến DEMO_PASSWORD)."
        )
        self.stdout.write("")
