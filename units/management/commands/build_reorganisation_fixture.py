"""``manage.py build_reorganisation_fixture [--check]``: write fixtures/reorganisation-2025.json from the shipped
tables of fixtures/src/ (issue 13 §3), matching every former commune by name, and print the matcher's report.

Inputs (copies of the published data, kept in the repository): ``soc-trang-communes-2024.tsv`` (the 108 communes
of 2024 by district, official codes), ``can-tho-communes-2025.tsv`` (the commune-level units of Cần Thơ from
1 July 2025 and the former communes of each; the rows of the former Sóc Trăng are used) and
``departments-2025.json`` (the departments' mergers of 1 March 2025). Fails, writing nothing, when a name cannot
be matched, is ambiguous, a 2024 commune is used twice or not at all (``units.reorganisation.matcher``: it reports,
never guesses). ``--check``: compare with the file in the repository instead of writing (CI, tests).

The events written, in the order ``setup_portal`` applies them: the departments' (2025-03-01); for each of the 43
communes of 2025, a merger of its former communes (two or more) or, for a commune kept as it was ("giữ nguyên"),
a move directly under the province (its district is abolished) — both a new record ``CT-<code>`` (Cần Thơ's
official code) valid from 2025-07-01; then the 11 districts dissolved from 2025-07-01 (closed on 2025-06-30).
"""

import csv
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from units.reorganisation.matcher import Commune, match_names

COMMUNES_EFFECTIVE = "2025-07-01"
COMMUNES_BASIS = (
    "Nghị quyết số 202/2025/QH15 của Quốc hội về sắp xếp đơn vị hành chính cấp tỉnh; Nghị quyết của Ủy ban "
    "Thường vụ Quốc hội về sắp xếp các đơn vị hành chính cấp xã của thành phố Cần Thơ năm 2025"
)
DISTRICTS_BASIS = (
    "Luật Tổ chức chính quyền địa phương năm 2025: không tổ chức đơn vị hành chính cấp huyện từ 01/07/2025"
)
KEPT = "giữ nguyên"


def commune_unit_name(name: str) -> str:
    """The unit (its People's Committee) of commune ``name``: "Xã Kế Sách" → "Ủy ban nhân dân xã Kế Sách"."""
    return "Ủy ban nhân dân " + name[0].lower() + name[1:]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def build(src: Path) -> tuple[dict, list[str]]:
    """(the fixture, the report's lines); raises ``CommandError`` listing every problem."""
    communes = [
        Commune(code=f"ST-{r['commune_code']}", name=r["commune_name"], district=r["district_name"])
        for r in _rows(src / "soc-trang-communes-2024.tsv")
    ]
    district_code = {
        r["district_name"]: r["district_code"] for r in _rows(src / "soc-trang-communes-2024.tsv")
    }
    new = [r for r in _rows(src / "can-tho-communes-2025.tsv") if r["former_province"] == "Sóc Trăng"]
    problems: list[str] = []
    used: dict[str, str] = {}
    events, report = (
        [],
        [f"{len(new)} đơn vị cấp xã từ 01/07/2025 (tỉnh Sóc Trăng cũ), {len(communes)} trước đó."],
    )
    for r in new:
        name, code = r["commune_name"], f"CT-{r['commune_code']}"
        names = (
            [name] if r["predecessors"].strip() == KEPT else [n.strip() for n in r["predecessors"].split(",")]
        )
        m = match_names(names, communes)
        problems += [f"{name}: {p}" for p in m.problems()]
        for n, c in m.matched.items():
            if c.code in used:
                problems.append(f"{name}: «{n}» ({c.code}) đã thuộc «{used[c.code]}».")
            used[c.code] = name
            if m.how[n] != "exact":
                report.append(
                    f"{name}: «{n}» khớp theo tên chuẩn hóa với «{c.name}» ({c.district}, {c.code})."
                )
        data = {
            "code": code,
            "name": commune_unit_name(name),
            "short_name": name,
            "group": "XA",
            "parent": None,
        }
        sources = [m.matched[n].code for n in names if n in m.matched]
        if len(names) == 1:
            events.append(
                {
                    "kind": "move",
                    "unit": sources[0] if sources else None,
                    "new_parent": None,
                    "new_code": code,
                    "note": f"{name}: giữ nguyên, trực thuộc thành phố.",
                }
            )
        else:
            events.append(
                {"kind": "merge", "sources": sources, "into": data, "note": f"{name}: {r['predecessors']}."}
            )
    unused = [c for c in communes if c.code not in used]
    problems += [f"«{c.name}» ({c.district}, {c.code}) không thuộc đơn vị nào sau sắp xếp." for c in unused]
    if problems:
        raise CommandError("Không ghép được tên đơn vị:\n" + "\n".join(problems))
    report.append(f"Đã ghép đủ {len(used)}/{len(communes)} xã, phường, thị trấn; không có tên nào chưa ghép.")
    departments = json.loads((src / "departments-2025.json").read_text(encoding="utf-8"))
    units = json.loads((src.parent / "units.json").read_text(encoding="utf-8"))
    by_name = {
        o["fields"]["name"]: o["fields"]["code"] for o in units if o["fields"].get("group") == ["HUYEN"]
    }
    groups = [
        {
            "effective": departments["effective"],
            "basis": departments["basis"],
            "events": departments["events"],
        },
        {"effective": COMMUNES_EFFECTIVE, "basis": COMMUNES_BASIS, "events": events},
        {
            "effective": COMMUNES_EFFECTIVE,
            "basis": DISTRICTS_BASIS,
            "events": [
                {"kind": "dissolve", "unit": by_name[commune_unit_name(d)], "note": f"{d} (mã {c})."}
                for d, c in district_code.items()
            ],
        },
    ]
    fixture = {
        "_comment": "Generated by manage.py build_reorganisation_fixture from fixtures/src/ — do not edit by hand.",
        "unmatched": [],
        "match_report": report,
        "groups": groups,
    }
    return fixture, report


class Command(BaseCommand):
    help = "Tạo fixtures/reorganisation-2025.json từ các bảng trong fixtures/src/ (ghép tên đơn vị trước sắp xếp)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="chỉ so sánh với tệp đã có, không ghi")

    def handle(self, *args, check=False, **options):
        base = Path(settings.BASE_DIR) / "fixtures"
        fixture, report = build(base / "src")
        text = json.dumps(fixture, ensure_ascii=False, indent=1) + "\n"
        for line in report:
            self.stdout.write(line)
        target = base / "reorganisation-2025.json"
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                raise CommandError(
                    f"{target} không khớp với fixtures/src/: chạy lại build_reorganisation_fixture."
                )
            self.stdout.write(f"{target.name}: khớp.")
            return
        target.write_text(text, encoding="utf-8")
        self.stdout.write(f"Đã ghi {target}.")
