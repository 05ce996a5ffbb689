"""API of self-assessments: read what the user may see, one view per workflow action (issue 3).

Same rules as the pages, through the same selectors and services: outsiders get 404, users who may see
but not act get 403, stale versions and closed states 409, bad values 400 (``parindex.api``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from criteria.models import Criterion

from ..forms.scoring import self_score_inputs
from ..permissions import assessments_visible_to
from ..selectors import scoring as scoring_reads
from ..services import scoring as scoring_writes
from ..services import submission as submission_writes
from .serializers import (
    AssessmentDetailSerializer,
    AssessmentSerializer,
    ScoreInputSerializer,
    ScoreSerializer,
)


class AssessmentList(generics.ListAPIView):
    """Assessments the user may see, newest round first."""

    serializer_class = AssessmentSerializer

    def get_queryset(self):
        return (
            assessments_visible_to(self.request.user)
            .select_related("round", "unit")
            .order_by("-round__year", "unit__code")
        )


class AssessmentDetail(generics.RetrieveAPIView):
    """One assessment with every leaf's self score, version and evidence ids."""

    serializer_class = AssessmentDetailSerializer

    def get_object(self):
        return scoring_reads.assessment_get(user=self.request.user, pk=self.kwargs["pk"])


class ScoreSave(APIView):
    """PUT a leaf's self score (``ScoreInputSerializer``); answers the saved score."""

    @extend_schema(request=ScoreInputSerializer, responses=ScoreSerializer)
    def put(self, request, pk, criterion_id):
        assessment = scoring_reads.assessment_get(user=request.user, pk=pk)
        scoring_writes.self_edit_check(assessment=assessment, by=request.user)  # 403 before 400
        data = ScoreInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        score = scoring_writes.score_save_self(
            assessment=assessment,
            criterion=Criterion(pk=criterion_id),
            by=request.user,
            **self_score_inputs(data.validated_data),
        )
        return Response(ScoreSerializer(score).data)

    def serialize_current(self, score):
        return ScoreSerializer(score).data


class _HeadAction(APIView):
    """A POST of the unit head on one assessment: ``service(assessment=…, by=…)``, a service of
    ``services.submission``, answered with the assessment as it is after."""

    service = None

    @extend_schema(request=None, responses=AssessmentSerializer)
    def post(self, request, pk):  # no docstring: the schema describes each action by its class's
        assessment = self.service(
            assessment=scoring_reads.assessment_get(user=request.user, pk=pk), by=request.user
        )
        return Response(AssessmentSerializer(assessment).data)


class Submit(_HeadAction):
    """POST: the unit head submits the assessment."""

    service = staticmethod(submission_writes.assessment_submit)


class Withdraw(_HeadAction):
    """POST: the unit head takes a submitted assessment back to draft."""

    service = staticmethod(submission_writes.assessment_withdraw)
