"""The coordinator imports a criteria set in the browser: a bad workbook is refused with its problems
listed, the real one is previewed, confirmed and shown as a tree, then exported."""

from pathlib import Path

import pytest

from criteria.models import CriteriaSet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_imports_previews_confirms_and_exports(page, login, units, make_user, tmp_path):
    make_user("coordinator", "SNV", username="dieuphoi")
    login("dieuphoi")
    page.click("text=Bộ chỉ số")
    page.click("text=Nhập từ Excel")

    bad = tmp_path / "sai.xlsx"
    bad.write_bytes(b"day khong phai excel")
    page.select_option("#id_group", label="Sở, ban, ngành tỉnh")
    page.fill("#id_year", "2027")
    page.set_input_files("#id_file", str(bad))
    page.click("#check-import")
    assert "không phải là bảng tính" in page.inner_text("#import-errors")
    assert not CriteriaSet.objects.exists()

    page.select_option("#id_group", label="Sở, ban, ngành tỉnh")
    page.fill("#id_year", "2027")
    page.set_input_files("#id_file", str(Path("fixtures/criteria/SO.xlsx").resolve()))
    page.click("#check-import")
    preview = page.inner_text("#import-preview")
    assert "8 lĩnh vực · 63 tiêu chí · 64 tiêu chí thành phần" in preview
    assert "Điểm thẩm định 63" in preview and "Điểm điều tra XHH 37" in preview
    page.click("#confirm-import")
    page.wait_for_selector("#tree")
    assert "Đã nhập bộ chỉ số" in page.content()
    assert page.inner_text("#appraisal-total") == "63" and page.inner_text("#survey-total") == "37"
    assert page.locator("#tree tbody tr").count() == 8 + 63 + 64

    with page.expect_download() as download:
        page.click("text=Xuất Excel")
    assert download.value.suggested_filename == "bo-chi-so-SO-2027.xlsx"
    page.screenshot(path=str(tmp_path / "tree.png"), full_page=False)
