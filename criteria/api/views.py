"""API of criteria sets: read-only, for admins and the coordinator (same rule as the pages)."""

from django.http import Http404
from rest_framework import generics

from .. import selectors
from ..models import CriteriaSet
from .serializers import CriteriaSetDetailSerializer, CriteriaSetSerializer


class CriteriaSetList(generics.ListAPIView):
    """Sets, newest year first. Filters: ``?year=2026&group=SO``."""

    serializer_class = CriteriaSetSerializer

    def get_queryset(self):
        year = self.request.query_params.get("year")
        return selectors.criteria_set_list(
            user=self.request.user,
            year=int(year) if year and year.isdigit() else None,
            group_code=self.request.query_params.get("group") or None,
        )


class CriteriaSetDetail(generics.RetrieveAPIView):
    """One set with its grade bands and its tree in print order."""

    serializer_class = CriteriaSetDetailSerializer

    def get_object(self):
        try:
            return selectors.criteria_set_get(user=self.request.user, pk=self.kwargs["pk"])
        except CriteriaSet.DoesNotExist as exc:
            raise Http404 from exc
