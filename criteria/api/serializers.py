"""Read-only representations of criteria sets for the API (points as decimal strings)."""

from rest_framework import serializers

from ..models import CriteriaSet, Criterion, GradeBand


class GradeBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = GradeBand
        fields = ["code", "label", "min_percent"]


class CriterionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)
    owner_code = serializers.CharField(source="owner.code", default=None, read_only=True)

    class Meta:
        model = Criterion
        fields = [
            "id",
            "code",
            "parent_code",
            "level",
            "order",
            "title",
            "guidance",
            "evidence_hint",
            "max_points",
            "source",
            "kind",
            "step",
            "scale",
            "owner_code",
        ]


class CriteriaSetSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="group.code", read_only=True)
    #: the code of the unit that issued the set for its subordinate units (a district's set), null for the province's
    parent_unit = serializers.CharField(
        source="parent_unit.code", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = CriteriaSet
        fields = ["id", "group", "year", "parent_unit", "name", "bonus_cap", "penalty_cap", "frozen_at"]


class CriteriaSetDetailSerializer(CriteriaSetSerializer):
    bands = GradeBandSerializer(many=True, read_only=True)
    nodes = serializers.SerializerMethodField()

    class Meta(CriteriaSetSerializer.Meta):
        fields = CriteriaSetSerializer.Meta.fields + ["bands", "nodes"]

    def get_nodes(self, obj) -> list[dict]:
        nodes = obj.nodes.select_related("parent", "owner").order_by("order")
        return CriterionSerializer(nodes, many=True).data
