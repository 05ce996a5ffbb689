"""Forms of the self-assessment scoring page: they only parse input (shapes, lengths, dates); the services
decide what is allowed (points in range, step, option, ratio, file type and size, state, deadline)."""

from django import forms

from parindex.dates import DATE_INPUT_FORMATS


class ScoreForm(forms.Form):
    """One leaf's self score as posted by the page. Numbers stay text (decimal comma accepted): the service
    reads and checks them for the leaf's kind. ``version`` is the score version the user edited."""

    version = forms.IntegerField(
        min_value=0,
        error_messages={
            "required": "Thiếu phiên bản của điểm; hãy tải lại trang rồi lưu lại.",
            "invalid": "Phiên bản của điểm không hợp lệ; hãy tải lại trang rồi lưu lại.",
            "min_value": "Phiên bản của điểm không hợp lệ; hãy tải lại trang rồi lưu lại.",
        },
    )
    option = forms.CharField(required=False, max_length=255)
    value = forms.CharField(required=False, max_length=50)
    numerator = forms.CharField(required=False, max_length=50)
    denominator = forms.CharField(required=False, max_length=50)
    note = forms.CharField(required=False)
    explanation = forms.CharField(required=False)
    not_applicable = forms.BooleanField(required=False)


def _optional_text(label: str, max_length: int, name: str = "") -> forms.CharField:
    """An optional one-line text of at most ``max_length`` characters; too long → "<name> tối đa N ký tự."
    (``name`` defaults to the label)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        error_messages={"max_length": f"{name or label} tối đa {max_length} ký tự."},
    )


#: What the unit types for one leaf, as ``services.scoring.score_save_self`` names it.
SELF_SCORE_INPUTS = ("value", "option", "numerator", "denominator", "note", "explanation", "not_applicable")


def self_score_inputs(data) -> dict:
    """A page's ``ScoreForm.cleaned_data`` or the API's validated data as the keyword arguments of
    ``score_save_self``: ``expected_version`` (the posted ``version``) and ``SELF_SCORE_INPUTS`` (None when not
    sent)."""
    return {"expected_version": data["version"], **{key: data.get(key) for key in SELF_SCORE_INPUTS}}


class EvidenceUploadForm(forms.Form):
    """A document uploaded for one leaf with its metadata (số, ký hiệu; ngày ban hành; cơ quan ban hành;
    trích dẫn; mô tả). Empty files pass here so that the service explains the refusal."""

    file = forms.FileField(
        label="Tệp tài liệu",
        allow_empty_file=True,
        error_messages={
            "required": "Hãy chọn tệp tài liệu kiểm chứng.",
            "invalid": "Không đọc được tệp tải lên; hãy chọn lại tệp.",
            "max_length": "Tên tệp quá dài (tối đa 255 ký tự).",
        },
        max_length=255,
    )
    doc_number = _optional_text("Số, ký hiệu", 100)
    issued_on = forms.DateField(
        label="Ngày ban hành",
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        error_messages={
            "invalid": "Ngày ban hành không hợp lệ; ghi ngày/tháng/năm (dd/mm/yyyy), ví dụ 15/03/2026."
        },
    )
    issuer = _optional_text("Cơ quan ban hành", 255)
    cited_section = _optional_text("Trích dẫn (mục, trang)", 255, name="Trích dẫn")
    description = forms.CharField(label="Mô tả", required=False)

    def upload(self) -> dict:
        """The valid form as the keyword arguments of ``services.evidence.evidence_upload``: the file, its
        name and the five metadata fields."""
        data = self.cleaned_data
        metadata = ("doc_number", "issued_on", "issuer", "cited_section", "description")
        return {"file": data["file"], "name": data["file"].name, **{key: data[key] for key in metadata}}


class EvidenceAttachForm(forms.Form):
    """The id of a document already uploaded in the same assessment (the view answers 404 for any other)."""

    evidence = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": "Hãy chọn một tài liệu đã tải lên.",
            "invalid": "Hãy chọn một tài liệu đã tải lên.",
            "min_value": "Hãy chọn một tài liệu đã tải lên.",
        },
    )
