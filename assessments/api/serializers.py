"""API representations of assessments and scores (points as decimal strings)."""

from rest_framework import serializers

from ..models import SELF_FIELDS, Assessment, Score


class AssessmentSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    year = serializers.IntegerField(source="round.year", read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "year", "unit", "unit_name", "state", "criteria_set", "submitted_at"]


class ScoreSerializer(serializers.ModelSerializer):
    criterion = serializers.IntegerField(source="criterion_id", read_only=True)
    code = serializers.CharField(source="criterion.code", read_only=True)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Score
        fields = ["criterion", "code", *SELF_FIELDS, "version", "updated_at", "evidence"]

    def get_evidence(self, obj) -> list[int]:
        return [link.evidence_id for link in obj.evidence_links.all()]


class AssessmentDetailSerializer(AssessmentSerializer):
    scores = serializers.SerializerMethodField()

    class Meta(AssessmentSerializer.Meta):
        fields = AssessmentSerializer.Meta.fields + ["scores"]

    def get_scores(self, obj) -> list[dict]:
        scores = (
            obj.scores.select_related("criterion")
            .prefetch_related("evidence_links")
            .order_by("criterion__order")
        )
        return ScoreSerializer(scores, many=True).data


class ScoreInputSerializer(serializers.Serializer):
    """What a client sends to save a self score: by kind ``option`` | ``value`` | ``numerator`` +
    ``denominator``; ``version`` = the version it edited (required)."""

    version = serializers.IntegerField(min_value=0)
    value = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    option = serializers.CharField(required=False, allow_blank=True)
    numerator = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    denominator = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    explanation = serializers.CharField(required=False, allow_blank=True, default="")
    not_applicable = serializers.BooleanField(required=False, default=False)
