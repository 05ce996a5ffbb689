"""Reads: who sees which assessment, the scoring sheet's totals and progress (in a fixed number of queries),
what blocks submission, and the unit's list of assessments."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import Assessment, AssessmentState
from assessments.permissions import assessments_visible_to
from assessments.selectors.scoring import (
    assessment_get,
    assessments_for_units,
    scoring_sheet,
    submission_problems,
)
from assessments.services.evidence import evidence_attach, evidence_upload
from criteria.models import Criterion, Kind, Source
from units.models import Membership, Unit

from .conftest import PDF, PNG
from .helpers import appraisal_leaves, band_points, leaf_input, save, score_all


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def extras(so_set):
    """A bonus and a penalty leaf added to the departments' set (the real one has none) before the round
    opens: they stand outside the 100 points, so totals, progress and submission ignore them."""
    field = so_set.nodes.get(code="8")
    n = field.children.count()
    last = so_set.nodes.order_by("-order").first().order  # field 8 is the last subtree: append in print order
    common = {
        "criteria_set": so_set,
        "parent": field,
        "level": 2,
        "max_points": Decimal(1),
        "source": Source.APPRAISAL,
        "step": Decimal("0.25"),
    }
    return (
        Criterion.objects.create(
            code=f"8.{n + 1}", order=last + 1, title="Điểm thưởng", kind=Kind.BONUS, **common
        ),
        Criterion.objects.create(
            code=f"8.{n + 2}", order=last + 2, title="Điểm trừ", kind=Kind.PENALTY, **common
        ),
    )


@pytest.fixture
def sct(extras, request) -> Assessment:
    """SCT's assessment in a round opened after ``extras`` were added."""
    return request.getfixturevalue("assessment")


def _upload(assessment, criterion, by, content=PDF, name="qd.pdf"):
    return evidence_upload(
        assessment=assessment, criterion=criterion, by=by, name=name, file=SimpleUploadedFile(name, content)
    )


def _under(code, leaves):
    return [c for c in leaves if c.code.startswith(code + ".")]


def _tree_key(code):
    return tuple(int(part) for part in code.split("."))


# ---------------------------------------------------------------------------------------------- visibility


def test_admin_and_coordinator_see_every_assessment(assessment, admin_user, coordinator):
    every = set(Assessment.objects.values_list("pk", flat=True))
    assert len(every) > 1 and assessment.pk in every
    for user in (admin_user, coordinator):
        assert set(assessments_visible_to(user).values_list("pk", flat=True)) == every


def test_officer_and_head_see_only_their_units_assessment(assessment, officer, head, other_officer):
    for user in (officer, head):
        assert list(assessments_visible_to(user)) == [assessment]
        assert assessment_get(user=user, pk=assessment.pk) == assessment
    theirs = assessments_visible_to(other_officer)
    assert [a.unit.code for a in theirs] == ["STP"]
    with pytest.raises(Assessment.DoesNotExist):
        assessment_get(user=other_officer, pk=assessment.pk)


def test_appraisers_see_an_assessment_only_once_submitted(assessment, make_user):
    from assessments.services.appraisal import parts_ensure

    appraiser = make_user("appraiser", "SNV")
    assert not assessments_visible_to(appraiser).exists()
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.SUBMITTED)
    parts_ensure(assessment)  # submission creates the parts its agencies appraise
    assert list(assessments_visible_to(appraiser)) == [assessment]
    assert not assessments_visible_to(make_user("appraiser", "SCT")).exists()  # owns no field


@pytest.mark.parametrize(
    "state", [AssessmentState.DRAFT, AssessmentState.SUBMITTED, AssessmentState.APPRAISED]
)
def test_leaders_see_nothing_before_publication(assessment, make_user, state):
    leader = make_user("leader", "UBNDT")
    Assessment.objects.filter(pk=assessment.pk).update(state=state)
    assert not assessments_visible_to(leader).exists()
    with pytest.raises(Assessment.DoesNotExist):
        assessment_get(user=leader, pk=assessment.pk)


def test_leaders_see_published_results(assessment, make_user):
    leader = make_user("leader", "UBNDT")
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.PUBLISHED)
    assert list(assessments_visible_to(leader)) == [assessment]


def test_users_without_a_role_see_nothing(assessment, make_user):
    assert not assessments_visible_to(make_user(None)).exists()


# ---------------------------------------------------------------------------------------------- scoring sheet


def test_scoring_sheet_totals_progress_and_evidence(sct, officer, leaf, so_set, extras):
    leaves = appraisal_leaves(so_set)
    options, ratio, yes_no, range_ = leaf("options"), leaf("ratio"), leaf("yes_no"), leaf("range")
    zero = next(c for c in leaves if c.kind == Kind.OPTIONS and c.pk != options.pk)
    kwargs, top_option = leaf_input(options)
    save(sct, options, officer, **kwargs)
    save(sct, ratio, officer, numerator=9, denominator=10)
    save(sct, yes_no, officer, value=yes_no.max_points, explanation="Văn bản lưu tại đơn vị")
    save(sct, range_, officer, value=range_.step * 3)
    kwargs, _ = leaf_input(zero, top=False)
    save(sct, zero, officer, **kwargs)
    save(sct, extras[0], officer, value="0,5")  # bonus: not part of the sheet's totals
    document = _upload(sct, options, officer)
    evidence_attach(evidence=document, criterion=range_, by=officer)
    _upload(sct, extras[0], officer, content=PNG, name="bang-khen.png")

    points = {
        options.code: top_option,
        ratio.code: band_points(ratio, Decimal(90)),
        yes_no.code: yes_no.max_points,
        range_.code: range_.step * 3,
        zero.code: Decimal(0),
    }
    sheet = scoring_sheet(sct)

    assert sheet.self_total == sum(points.values())
    assert sheet.appraisal_max == sum(c.max_points for c in leaves)
    assert (sheet.scored, sheet.leaves) == (5, len(leaves))
    assert sheet.progress_percent == 5 * 100 // len(leaves)
    assert sheet.without_evidence == len(leaves) - 2
    assert [d.original_name for d in sheet.documents] == ["qd.pdf", "bang-khen.png"]

    rows = {r.node.code: r for r in sheet.rows}
    assert [r.node.code for r in sheet.rows] == sorted(rows, key=_tree_key)  # print order
    fields = {r.node.code: r for r in sheet.fields}
    assert list(fields) == [str(i) for i in range(1, 9)]
    for code, row in fields.items():
        below = _under(code, leaves)
        assert row.self_total == sum(p for c, p in points.items() if c.startswith(code + ".")), code
        assert row.appraisal_max == sum(c.max_points for c in below), code
        assert (row.scored, row.leaves) == (sum(c.startswith(code + ".") for c in points), len(below)), code
    parent = options.code.rpartition(".")[0]
    assert rows[parent].self_total == sum(p for c, p in points.items() if c.startswith(parent + "."))
    assert rows[parent].depth == options.level - 2 and not rows[parent].is_leaf and rows[parent].score is None

    assert rows[options.code].evidence == [document] and rows[range_.code].evidence == [document]
    assert rows[options.code].score.self_value == top_option and rows[options.code].depth == options.level - 1
    # needs an explanation: a positive score without evidence nor explanation
    assert [c for c, r in rows.items() if r.needs_explanation] == [ratio.code]
    survey = next(r for r in sheet.rows if r.is_leaf and r.is_survey)
    assert survey.score is not None and not survey.needs_explanation
    assert rows[extras[0].code].score.self_value == Decimal("0.5")


def test_a_fresh_scoring_sheet_is_all_zero(sct, so_set):
    sheet = scoring_sheet(sct)
    leaves = appraisal_leaves(so_set)
    assert (sheet.self_total, sheet.scored, sheet.progress_percent) == (0, 0, 0)
    assert (sheet.leaves, sheet.without_evidence, sheet.documents) == (len(leaves), len(leaves), [])
    assert sum(r.appraisal_max for r in sheet.fields) == sheet.appraisal_max


def test_scoring_sheet_queries_do_not_grow_with_scores_and_evidence(
    assessment, officer, so_set, django_assert_num_queries
):
    def read():
        sheet = scoring_sheet(assessment)
        for row in sheet.rows:  # everything the page shows of each row
            if row.score:
                str(row.score.updated_by)
            for document in row.evidence:
                str(document.original_name)
        return sheet

    with django_assert_num_queries(3):
        fresh = read()
    assert fresh.scored == 0

    score_all(assessment, officer)
    leaves = appraisal_leaves(so_set)
    for i, criterion in enumerate(leaves[:12]):
        _upload(assessment, criterion, officer, content=PDF + str(i).encode(), name=f"qd-{i}.pdf")
    with django_assert_num_queries(3):
        full = read()
    assert (full.scored, full.without_evidence, len(full.documents)) == (len(leaves), len(leaves) - 12, 12)


# ---------------------------------------------------------------------------------------------- submission problems


def test_submission_problems_follow_the_tree(sct, officer, so_set):
    leaves = appraisal_leaves(so_set)
    problems = submission_problems(sct)
    codes = [s.criterion.code for s, _ in problems]
    expected = sorted((c.code for c in leaves), key=_tree_key)
    assert codes == expected
    # nodes were written level by level, so their ids are not in print order: the order is the tree's
    assert [c.code for c in sorted(leaves, key=lambda c: c.pk)] != expected

    # scoring the middle ones removes them and keeps the rest in order
    middle = [c for c in leaves if c.code.startswith("4.")]
    for criterion in middle:
        kwargs, _ = leaf_input(criterion, top=False)
        save(sct, criterion, officer, **kwargs)
    assert [s.criterion.code for s, _ in submission_problems(sct)] == [
        c for c in expected if not c.startswith("4.")
    ]


def test_bonus_and_penalty_leaves_never_block_submission(sct, officer, extras):
    score_all(sct, officer, top=False)
    assert submission_problems(sct) == []
    save(sct, extras[0], officer, value=1)  # positive bonus without evidence: not checked here either
    assert submission_problems(sct) == []


# ---------------------------------------------------------------------------------------------- the unit's list


def test_units_list_counts_leaves_scored_and_total(sct, officer, head, leaf, so_set, extras):
    n_leaves = len(appraisal_leaves(so_set))
    (row,) = assessments_for_units(user=officer)
    assert row == sct
    assert (row.n_leaves, row.n_scored, row.self_total) == (n_leaves, 0, 0)

    yes_no, ratio = leaf("yes_no"), leaf("ratio")
    save(sct, yes_no, officer, value=yes_no.max_points)
    save(sct, ratio, head, numerator=1, denominator=1)
    save(sct, extras[0], officer, value=1)  # bonus
    survey = so_set.nodes.filter(source=Source.SURVEY).first()
    Assessment.objects.get(pk=sct.pk).scores.filter(criterion=survey).update(
        self_value=5
    )  # never self-scored

    (row,) = assessments_for_units(user=head)
    assert (row.n_leaves, row.n_scored) == (n_leaves, 2)
    assert row.self_total == yes_no.max_points + band_points(ratio, Decimal(100))


def test_units_list_shows_only_the_users_units(
    assessment, open_round, officer, other_officer, coordinator, make_user
):
    assert [a.unit.code for a in assessments_for_units(user=other_officer)] == ["STP"]
    assert list(assessments_for_units(user=coordinator)) == []  # not a unit member
    both = make_user("officer", "SCT", username="kiemnhiem")
    Membership.objects.create(user=both, unit=Unit.objects.get(code="STP"), role="head")
    assert sorted(a.unit.code for a in assessments_for_units(user=both)) == ["SCT", "STP"]
