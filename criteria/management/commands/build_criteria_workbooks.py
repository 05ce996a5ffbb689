"""``manage.py build_criteria_workbooks``: write ``fixtures/criteria/<GROUP>.xlsx`` from the reviewed
sources ``fixtures/criteria/src/<GROUP>.yaml`` with the portal's own workbook writer, after checking them
with the same validator the importer uses. A developer tool (needs PyYAML from the dev extras)."""

from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from criteria import scales
from criteria.models import DEFAULT_BANDS
from criteria.tree import BandSpec, NodeSpec, SetSpec, validate_tree
from criteria.workbook import write_workbook


def _decimal(value):
    return None if value in (None, "") else Decimal(str(value))


def spec_from_yaml(data: dict) -> SetSpec:
    """``{"name": str, "rows": [{"code", "title", "max", "source", "kind", "scale", "step", "guidance",
    "evidence", "owner"}]}`` → ``SetSpec`` with the default bands."""
    nodes = []
    for i, row in enumerate(data["rows"], start=2):
        kind = row.get("kind") or ""
        nodes.append(
            NodeSpec(
                code=str(row["code"]),
                title=row["title"].strip(),
                max_points=_decimal(row.get("max")),
                source=row.get("source") or "",
                kind=kind,
                scale=scales.parse_scale(kind, row["scale"]) if row.get("scale") else [],
                step=_decimal(row.get("step")),
                guidance=(row.get("guidance") or "").strip(),
                evidence_hint=(row.get("evidence") or "").strip(),
                owner_code=row.get("owner") or "",
                row=i,
            )
        )
    bands = [BandSpec(code=c, label=lbl, min_percent=m) for c, lbl, m in DEFAULT_BANDS]
    return SetSpec(name=data["name"], bands=bands, nodes=nodes)


class Command(BaseCommand):
    help = "Tạo các tệp bộ chỉ số mẫu fixtures/criteria/*.xlsx từ nguồn YAML."

    def handle(self, *args, **options):
        import yaml

        base = Path(settings.BASE_DIR) / "fixtures" / "criteria"
        for src in sorted((base / "src").glob("*.yaml")):
            spec = spec_from_yaml(yaml.safe_load(src.read_text(encoding="utf-8")))
            problems = validate_tree(spec.nodes)
            if problems:
                raise CommandError(f"{src.name}: " + "; ".join(map(str, problems)))
            (base / f"{src.stem}.xlsx").write_bytes(write_workbook(spec))
            self.stdout.write(f"{src.stem}.xlsx: {len(spec.nodes)} dòng")
