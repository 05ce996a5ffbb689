"""API of criteria sets: read-only, for admins and the coordinator (same rule as the pages)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from parindex import params

from .. import selectors
from ..models import CriteriaSet
from .serializers import CriteriaSetDetailSerializer, CriteriaSetSerializer


class CriteriaSetList(generics.ListAPIView):
    """Sets, newest year first. Filters: ``?year=2026&group=SO``."""

    serializer_class = CriteriaSetSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="Năm của bộ chỉ số, ví dụ 2026 (chữ số 0–9)."),
            OpenApiParameter("group", str, description="Mã nhóm đơn vị, ví dụ SO (sở, ban, ngành)."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = self.request.query_params
        return selectors.criteria_set_list(
            user=self.request.user,
            year=params.int_param(query, "year"),
            group_code=params.code_param(query, "group") or None,
        )


class CriteriaSetDetail(generics.RetrieveAPIView):
    """One set with its grade bands and its tree in print order."""

    serializer_class = CriteriaSetDetailSerializer

    def get_object(self):
        try:
            return selectors.criteria_set_get(user=self.request.user, pk=self.kwargs["pk"])
        except CriteriaSet.DoesNotExist as exc:
            raise Http404 from exc
