"""Numbers, option lists and ratio bands as written in the workbook: reading, writing and scoring."""

from decimal import Decimal

import pytest

from criteria.scales import (
    ScaleError,
    format_bands,
    format_decimal,
    format_options,
    format_scale,
    parse_bands,
    parse_decimal,
    parse_options,
    parse_scale,
    ratio_points,
)

D = Decimal
BANDS = [{"min": "90", "points": "2"}, {"min": "70", "points": "1"}, {"min": "0", "points": "0"}]

# ---------------------------------------------------------------------------------------------- decimals


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, D(1)),
        (0, D(0)),
        (2.5, D("2.5")),
        (0.25, D("0.25")),
        (1.2, D("1.2")),
        ("0,5", D("0.5")),
        ("0.5", D("0.5")),
        (" 1,25 ", D("1.25")),
        ("2,00", D(2)),
        ("10", D(10)),
        ("1\u00a0000", D(1000)),
        ("-1", D(-1)),
        ("99999,99", D("99999.99")),
    ],
)
def test_parse_decimal(value, expected):
    number = parse_decimal(value)
    assert number == expected
    assert "E" not in str(number)  # plain digits, stored and shown as such


def test_parse_decimal_drops_trailing_zeros():
    assert (
        str(parse_decimal("2,00")) == "2"
        and str(parse_decimal("0,50")) == "0.5"
        and str(parse_decimal(100)) == "100"
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("abc", "không phải là số hợp lệ"),
        ("1,2,3", "không phải là số hợp lệ"),
        ("1.234,5", "không phải là số hợp lệ"),
        ("", "không phải là số hợp lệ"),
        ("1e3", "không phải là số hợp lệ"),
        ("0,125", "quá 2 chữ số thập phân"),
        (0.125, "quá 2 chữ số thập phân"),
        (float("nan"), "không phải là số hợp lệ"),
        (float("inf"), "không phải là số hợp lệ"),
        (True, "không phải là số"),
        ("1" * 40, "quá lớn"),
        (1e30, "quá lớn"),
        (100000, "quá lớn"),
    ],
)
def test_parse_decimal_refuses(value, fragment):
    with pytest.raises(ScaleError) as info:
        parse_decimal(value, what="Điểm tối đa")
    assert fragment in str(info.value)
    assert str(info.value).startswith("Điểm tối đa")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("0.50"), "0,5"),
        (D("2.00"), "2"),
        (D("100"), "100"),
        (D("0.25"), "0,25"),
        ("1.5", "1,5"),
        (0, "0"),
        (D("12.10"), "12,1"),
    ],
)
def test_format_decimal(value, text):
    assert format_decimal(value) == text


@pytest.mark.parametrize("text", ["0,5", "2", "100", "0,25", "12,1", "99999,99"])
def test_decimal_round_trip(text):
    assert format_decimal(parse_decimal(text)) == text


# ---------------------------------------------------------------------------------------------- options


def test_parse_options():
    assert parse_options("Ban hành kịp thời: 1; Không kịp thời: 0,5; Không ban hành: 0") == [
        {"label": "Ban hành kịp thời", "points": "1"},
        {"label": "Không kịp thời", "points": "0.5"},
        {"label": "Không ban hành", "points": "0"},
    ]


def test_parse_options_tolerates_spacing_and_colons_in_labels():
    assert parse_options("  Tỷ lệ: đạt yêu cầu :2 ;; Không đạt:0;") == [
        {"label": "Tỷ lệ: đạt yêu cầu", "points": "2"},
        {"label": "Không đạt", "points": "0"},
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "trống"),
        ("Kịp thời 1; Không: 0", "Lựa chọn 'Kịp thời 1' sai cú pháp"),
        ("Kịp thời: ; Không: 0", "sai cú pháp"),
        (": 1", "sai cú pháp"),
        ("Kịp thời: một", "không phải là số hợp lệ"),
        ("Kịp thời: 1; kịp thời: 0", "Lựa chọn 'kịp thời' bị lặp"),
    ],
)
def test_parse_options_refuses(text, fragment):
    with pytest.raises(ScaleError) as info:
        parse_options(text)
    assert fragment in str(info.value)


def test_format_options():
    assert format_options([{"label": "Kịp thời", "points": "1"}, {"label": "Chậm", "points": "0.5"}]) == (
        "Kịp thời: 1; Chậm: 0,5"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Ban hành kịp thời: 1; Không kịp thời: 0,5; Không ban hành: 0",
        "Có: 2; Không: 0",
        "Đầy đủ: 1,25; Thiếu: 0,75; Không có: 0",
    ],
)
def test_options_round_trip(text):
    parsed = parse_options(text)
    assert format_options(parsed) == text
    assert parse_options(format_options(parsed)) == parsed


# ---------------------------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    "text",
    [
        "≥ 90%: 2; 70–<90%: 1; <70%: 0",
        ">= 90: 2; 70 - <90 %: 1; dưới 70%: 0",
        "từ 90% trở lên: 2; từ 70 đến dưới 90%: 1; < 70: 0",
        "≥90%:2;70—<90%:1;<70%:0",
        "≥ 90%: 2; 70-90%: 1; dưới 70: 0",
    ],
)
def test_parse_bands_written_forms(text):
    assert parse_bands(text) == BANDS


def test_parse_bands_with_decimals():
    assert parse_bands("≥ 92,5%: 1,5; 50–<92,5%: 0,5; <50%: 0") == [
        {"min": "92.5", "points": "1.5"},
        {"min": "50", "points": "0.5"},
        {"min": "0", "points": "0"},
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "trống"),
        ("≥ 90%: 2; 70–<80%: 1; <70%: 0", "Mức '70–<80%' không liền với mức trên (phải kết thúc ở 90%)"),
        ("≥ 90%: 2; 70–<90%: 1", "Mức thấp nhất của thang tỷ lệ phải bắt đầu từ 0%"),
        ("<70%: 0; 70–<90%: 1; ≥ 90%: 2", "từ cao xuống thấp"),
        ("≥ 90%: 2; ≥ 90%: 1; <90%: 0", "từ cao xuống thấp"),
        ("≥ 120%: 2; <120%: 0", "ngưỡng không hợp lệ"),
        ("≥ 90%: 2; 90–<70%: 1; <70%: 0", "ngưỡng không hợp lệ"),
        ("khoảng 90: 2; <90%: 0", "Mức 'khoảng 90' không đọc được"),
        ("≥ 90% 2; <90%: 0", "sai cú pháp"),
        ("≥ 90%: hai; <90%: 0", "không phải là số hợp lệ"),
    ],
)
def test_parse_bands_refuses(text, fragment):
    with pytest.raises(ScaleError) as info:
        parse_bands(text)
    assert fragment in str(info.value)


def test_format_bands():
    assert format_bands(BANDS) == "≥ 90%: 2; 70–<90%: 1; <70%: 0"
    assert format_bands([{"min": "50", "points": "1"}, {"min": "0", "points": "0"}]) == "≥ 50%: 1; <50%: 0"


@pytest.mark.parametrize(
    "text",
    [
        "≥ 90%: 2; 70–<90%: 1; <70%: 0",
        ">= 90: 2; 70 - <90 %: 1; dưới 70%: 0",
        "≥ 92,5%: 1,5; 50–<92,5%: 0,5; <50%: 0",
        "≥ 100%: 1; 80–<100%: 0,5; 50–<80%: 0,25; <50%: 0",
    ],
)
def test_bands_round_trip(text):
    parsed = parse_bands(text)
    canonical = format_bands(parsed)
    assert parse_bands(canonical) == parsed
    assert format_bands(parse_bands(canonical)) == canonical


def test_parse_and_format_scale_dispatch_on_kind():
    assert parse_scale("options", "Có: 1; Không: 0") == [
        {"label": "Có", "points": "1"},
        {"label": "Không", "points": "0"},
    ]
    assert parse_scale("ratio", "≥ 90%: 2; 70–<90%: 1; <70%: 0") == BANDS
    assert parse_scale("yes_no", "Có: 1") == [] and parse_scale("range", "x") == []
    assert format_scale("ratio", BANDS) == "≥ 90%: 2; 70–<90%: 1; <70%: 0"
    assert format_scale("options", [{"label": "Có", "points": "1"}]) == "Có: 1"
    assert format_scale("yes_no", []) == "" and format_scale("options", []) == ""


# ---------------------------------------------------------------------------------------------- ratio points


@pytest.mark.parametrize(
    ("numerator", "denominator", "percent", "points"),
    [
        (D(90), D(100), D(90), D(2)),  # exactly on the edge → the upper band
        (D("89.99"), D(100), D("89.99"), D(1)),  # just below → the next band
        (D(9), D(10), D(90), D(2)),
        (D(100), D(100), D(100), D(2)),
        (D(70), D(100), D(70), D(1)),
        (D("69.99"), D(100), D("69.99"), D(0)),
        (D(0), D(5), D(0), D(0)),
        (D(7), D(7), D(100), D(2)),
    ],
)
def test_ratio_points(numerator, denominator, percent, points):
    assert ratio_points(BANDS, numerator, denominator) == (percent, points)


def test_ratio_points_of_a_repeating_fraction():
    percent, points = ratio_points(BANDS, D(2), D(3))
    assert round(percent, 2) == D("66.67") and points == 0
    percent, points = ratio_points(BANDS, D(9), D(11))  # 81.8…%
    assert D(81) < percent < D(82) and points == 1


@pytest.mark.parametrize(
    ("numerator", "denominator", "fragment"),
    [
        (D(1), D(0), "Mẫu số phải lớn hơn 0"),
        (D(0), D(0), "Mẫu số phải lớn hơn 0"),
        (D(1), D(-3), "Mẫu số phải lớn hơn 0"),
        (D(-1), D(10), "Tử số không được âm"),
        (D(11), D(10), "Tử số không được lớn hơn mẫu số"),
    ],
)
def test_ratio_points_refuses(numerator, denominator, fragment):
    with pytest.raises(ScaleError) as info:
        ratio_points(BANDS, numerator, denominator)
    assert fragment in str(info.value)
