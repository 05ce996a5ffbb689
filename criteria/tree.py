"""The criteria tree as plain data, and the one validator of its invariants (shared/DESIGN.md §3).

``NodeSpec`` is a node as read from a workbook or copied from the database; ``validate_tree`` checks a
whole set's nodes and returns every ``Problem`` (it never stops at the first), so an import preview can
list them all. ``summarize`` counts levels and sums points for any node-like objects (specs or models).
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

# an upload's problem is the workbook module's; imported here under its old name too
from parindex.xlsx import Problem as Problem

from .models import EXTRA_KINDS, Kind, Level, Source
from .scales import format_decimal

CODE_RE = re.compile(r"^[1-9]\d*(\.[1-9]\d*)*$")
MAX_LEVEL = max(Level.values)

#: Column letter of each attribute on the "Tiêu chí" sheet (for messages and for the writer).
COLUMN_LETTERS = {
    "code": "A",
    "title": "B",
    "max": "C",
    "source": "D",
    "kind": "E",
    "scale": "F",
    "step": "G",
    "guidance": "H",
    "evidence": "I",
    "owner": "J",
}


@dataclass
class NodeSpec:
    """A tree node as data. Points are Decimal; ``scale`` is the parsed list (see ``criteria.scales``)."""

    code: str
    title: str
    max_points: Decimal | None
    source: str = ""
    kind: str = ""
    scale: list = field(default_factory=list)
    step: Decimal | None = None
    guidance: str = ""
    evidence_hint: str = ""
    owner_code: str = ""
    row: int | None = field(default=None, compare=False)  # sheet row, for messages only
    scale_text: str = ""  # raw text when the kind takes no scale, so the validator can refuse it

    @property
    def level(self) -> int:
        return self.code.count(".") + 1

    @property
    def parent_code(self) -> str | None:
        return self.code.rpartition(".")[0] or None


@dataclass
class BandSpec:
    code: str
    label: str
    min_percent: Decimal
    row: int | None = field(default=None, compare=False)  # sheet row, for messages only


@dataclass
class SetSpec:
    """A whole criteria set as data: what a workbook holds, and what the writer writes."""

    name: str
    bonus_cap: Decimal = Decimal(0)
    penalty_cap: Decimal = Decimal(0)
    bands: list[BandSpec] = field(default_factory=list)
    nodes: list[NodeSpec] = field(default_factory=list)


def node_errors(*, source, kind, max_points, step, scale, is_leaf, scale_text="") -> list[tuple[str, str]]:
    """Node-level rules as ``[(attribute, message)]``; empty when the node is valid.

    Rules (shared/DESIGN.md §3): only leaves are scored; survey leaves are never self-scored (no kind,
    scale or step); appraisal leaves need a kind; options and band points lie within [0, max]; a range
    needs a step that divides max; yes/no, bonus and penalty take no scale.
    """
    errors: list[tuple[str, str]] = []
    has_scale = bool(scale) or bool(scale_text)
    if not is_leaf:
        if source or kind or has_scale or step is not None:
            errors.append(
                (
                    "kind",
                    "Tiêu chí có tiêu chí con không được chấm trực tiếp: bỏ trống Nguồn điểm, "
                    "Cách chấm, Thang điểm và Bước điểm (chỉ tiêu chí lá được chấm).",
                )
            )
        return errors
    if max_points is not None and max_points <= 0 and kind not in EXTRA_KINDS:
        errors.append(("max", "Điểm tối đa của tiêu chí lá phải lớn hơn 0."))
    if not source:
        errors.append(("source", "Tiêu chí lá phải ghi Nguồn điểm: 'Thẩm định' hoặc 'Điều tra XHH'."))
        return errors
    if source == Source.SURVEY:
        if kind or has_scale or step is not None:
            errors.append(
                (
                    "kind",
                    "Tiêu chí điều tra XHH lấy điểm từ kết quả điều tra xã hội học, đơn vị không "
                    "tự chấm: bỏ trống Cách chấm, Thang điểm và Bước điểm.",
                )
            )
        return errors
    if not kind:
        errors.append(
            (
                "kind",
                "Tiêu chí thẩm định phải ghi Cách chấm: Lựa chọn, Khoảng điểm, Tỷ lệ, Có/Không, "
                "Điểm thưởng hoặc Điểm trừ.",
            )
        )
        return errors
    if kind in (Kind.OPTIONS, Kind.RATIO):
        if not scale:
            if not scale_text:
                errors.append(("scale", "Cách chấm này cần Thang điểm."))
        elif max_points is not None:
            for item in scale:
                points = Decimal(item["points"])
                if points < 0 or points > max_points:
                    what = (
                        f"Lựa chọn '{item['label']}'"
                        if kind == Kind.OPTIONS
                        else f"Mức từ {format_decimal(item['min'])}%"
                    )
                    errors.append(
                        (
                            "scale",
                            f"{what} có điểm {format_decimal(points)} ngoài khoảng 0–"
                            f"{format_decimal(max_points)}.",
                        )
                    )
    elif has_scale:
        errors.append(("scale", f"Cách chấm '{Kind(kind).label}' không dùng Thang điểm: để trống."))
    if kind == Kind.RANGE:
        if step is None or step <= 0:
            errors.append(("step", "Cách chấm 'Khoảng điểm' cần Bước điểm lớn hơn 0 (ví dụ 0,25 hoặc 0,5)."))
        elif max_points is not None and max_points % step != 0:
            errors.append(
                (
                    "step",
                    f"Điểm tối đa {format_decimal(max_points)} không chia hết cho bước "
                    f"{format_decimal(step)}.",
                )
            )
    elif step is not None and kind not in EXTRA_KINDS:
        errors.append(("step", f"Cách chấm '{Kind(kind).label}' không dùng Bước điểm: để trống."))
    return errors


def validate_tree(
    nodes: list[NodeSpec], *, known_owner_codes: set[str] | None = None, sheet: str = "Tiêu chí"
) -> list[Problem]:
    """Every violation of the tree's invariants, in row order.

    Checks: code syntax and uniqueness, level ≤ 4, parent present and listed before the child (so no
    cycle can exist), title and max present, node rules (``node_errors``), parent max = Σ children's max
    (bonus/penalty children excluded), every field names its appraising agency, owner codes exist.
    """
    problems: list[Problem] = []

    def add(node, attr, message):
        problems.append(Problem(sheet, node.row, COLUMN_LETTERS.get(attr), message))

    first_row: dict[str, NodeSpec] = {}
    children: dict[str, list[NodeSpec]] = defaultdict(list)
    valid: list[NodeSpec] = []
    for node in nodes:
        if not node.code:
            add(node, "code", "Thiếu mã tiêu chí.")
            continue
        if not CODE_RE.match(node.code):
            add(
                node,
                "code",
                f"Mã '{node.code}' không hợp lệ; dùng số nguyên dương ngăn cách bằng dấu chấm (1, 1.2, 1.2.3).",
            )
            continue
        if node.code in first_row:
            add(node, "code", f"Mã '{node.code}' bị trùng (đã có ở dòng {first_row[node.code].row}).")
            continue
        if node.level > MAX_LEVEL:
            add(node, "code", f"Mã '{node.code}' sâu quá {MAX_LEVEL} cấp.")
            continue
        parent = node.parent_code
        if parent and parent not in first_row:
            add(node, "code", f"Không tìm thấy tiêu chí cha '{parent}' ở các dòng phía trên.")
            continue
        first_row[node.code] = node
        if parent:
            children[parent].append(node)
        valid.append(node)

    for node in valid:
        if not node.title:
            add(node, "title", "Thiếu nội dung tiêu chí.")
        if node.max_points is None:
            add(node, "max", "Thiếu điểm tối đa.")
        elif node.max_points < 0:
            add(node, "max", "Điểm tối đa không được âm.")
        kids = children.get(node.code, [])
        for attr, message in node_errors(
            source=node.source,
            kind=node.kind,
            max_points=node.max_points,
            step=node.step,
            scale=node.scale,
            is_leaf=not kids,
            scale_text=node.scale_text,
        ):
            add(node, attr, message)
        if kids and node.max_points is not None and all(k.max_points is not None for k in kids):
            total = sum((k.max_points for k in kids if k.kind not in EXTRA_KINDS), Decimal(0))
            if total != node.max_points:
                add(
                    node,
                    "max",
                    f"Điểm tối đa {format_decimal(node.max_points)} khác tổng điểm tối đa các tiêu chí "
                    f"con ({format_decimal(total)}).",
                )
        if node.level == Level.FIELD and not node.owner_code:
            add(node, "owner", "Lĩnh vực phải ghi Cơ quan thẩm định (mã đơn vị, ví dụ SNV).")
        if node.owner_code and known_owner_codes is not None and node.owner_code not in known_owner_codes:
            add(node, "owner", f"Không có đơn vị mã '{node.owner_code}'.")
    if not nodes:
        problems.append(Problem(sheet, None, None, "Bộ chỉ số chưa có tiêu chí nào."))
    problems.sort(key=lambda p: p.row or 0)
    return problems


def summarize(nodes: Iterable) -> dict:
    """Counts and totals of a set's nodes (``NodeSpec`` or ``Criterion`` alike).

    Returns ``{"fields", "criteria", "sub_criteria", "details", "leaves": int, "appraisal_max",
    "survey_max", "bonus_max", "penalty_max", "total_max": Decimal points}`` (total = appraisal + survey). Leaves are nodes without children;
    bonus/penalty leaves are counted apart from the appraisal maximum.
    """
    nodes = list(nodes)
    parents = {n.code.rpartition(".")[0] for n in nodes}
    out = {
        "fields": 0,
        "criteria": 0,
        "sub_criteria": 0,
        "details": 0,
        "leaves": 0,
        "appraisal_max": Decimal(0),
        "survey_max": Decimal(0),
        "bonus_max": Decimal(0),
        "penalty_max": Decimal(0),
    }
    level_key = {1: "fields", 2: "criteria", 3: "sub_criteria", 4: "details"}
    for n in nodes:
        level = n.code.count(".") + 1
        out[level_key.get(level, "details")] += 1
        if n.code in parents:
            continue
        out["leaves"] += 1
        points = n.max_points or Decimal(0)
        if n.kind == Kind.BONUS:
            out["bonus_max"] += points
        elif n.kind == Kind.PENALTY:
            out["penalty_max"] += points
        elif n.source == Source.SURVEY:
            out["survey_max"] += points
        elif n.source == Source.APPRAISAL:
            out["appraisal_max"] += points
    out["total_max"] = out["appraisal_max"] + out["survey_max"]
    return out
