"""The matcher of former communes (issue 13 §3) and the shipped fixture it built."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from units.management.commands import build_reorganisation_fixture as build_cmd
from units.reorganisation.matcher import Commune, match_names, normalise

COMMUNES = [
    Commune("1", "Phường 1", "Thành phố Sóc Trăng"),
    Commune("2", "Phường 1", "Thị xã Ngã Năm"),
    Commune("3", "Xã Hòa Tú II", "Huyện Mỹ Xuyên"),
    Commune("4", "Xã Thuận Hòa", "Huyện Châu Thành"),
]


def test_exact_then_normalised_and_the_parenthesis_names_the_district():
    report = match_names(
        ["Phường 1 (thị xã Ngã Năm)", "Xã Hòa Tú 2", "Xã Thuận Hòa (huyện Châu Thành)"], COMMUNES
    )
    assert {n: c.code for n, c in report.matched.items()} == {
        "Phường 1 (thị xã Ngã Năm)": "2",
        "Xã Hòa Tú 2": "3",
        "Xã Thuận Hòa (huyện Châu Thành)": "4",
    }
    assert report.how["Xã Hòa Tú 2"] == "normalised" and report.ok
    assert normalise("Xã  Hòa Tú II") == "xã hòa tú 2"


def test_what_it_cannot_match_is_reported_not_guessed():
    report = match_names(["Phường 1", "Xã Không Có", "Phường 1 (thị xã Vĩnh Châu)"], COMMUNES)
    assert not report.matched and not report.ok
    assert report.unmatched == ["Xã Không Có", "Phường 1 (thị xã Vĩnh Châu)"]
    assert [c.code for c in report.ambiguous["Phường 1"]] == ["1", "2"]
    assert any("Xã Không Có" in line for line in report.problems())


def test_the_shipped_fixture_is_what_the_tables_give_all_43_matched():
    out = io.StringIO()
    call_command("build_reorganisation_fixture", "--check", stdout=out)
    text = out.getvalue()
    assert "43 đơn vị cấp xã" in text and "Đã ghép đủ 108/108" in text
    assert "«Xã Hòa Tú 2» khớp theo tên chuẩn hóa với «Xã Hòa Tú II»" in text


def test_the_builder_fails_listing_the_names_it_cannot_match(tmp_path, settings):
    src = tmp_path / "fixtures" / "src"
    src.mkdir(parents=True)
    real = build_cmd.Path(settings.BASE_DIR) / "fixtures"
    for name in ("soc-trang-communes-2024.tsv", "departments-2025.json"):
        (src / name).write_bytes((real / "src" / name).read_bytes())
    (tmp_path / "fixtures" / "units.json").write_bytes((real / "units.json").read_bytes())
    table = (real / "src" / "can-tho-communes-2025.tsv").read_text(encoding="utf-8")
    (src / "can-tho-communes-2025.tsv").write_text(table.replace("Xã Kế An", "Xã Kế Ann"), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        build_cmd.build(src)
    assert "«Xã Kế Ann»" in str(exc.value) and "Xã Kế An» (Huyện Kế Sách, ST-31558) không thuộc" in str(
        exc.value
    )
