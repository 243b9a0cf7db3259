"""A project's confidence routing: the threshold, the active version's proposal, the exploration
band's evidence, the policy, and the timeline of every move. Managers apply the proposal and
change the policy; every member reads."""
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ml_assist.routing_models import ThresholdEvent
from ml_assist.selectors import routing_overview
from ml_assist.services.thresholds import (
    routing_policy_update,
    threshold_apply_proposal,
    threshold_proposal,
)
from platform_core.apis.common import ApiView, StrictInputSerializer, reject_unknown_query_params
from platform_core.apis.permissions import IsProjectManager, IsProjectManagerOrReadOnly
from platform_core.selectors import project_get_for_user


class ThresholdEventOutputSerializer(serializers.ModelSerializer):
    model_version = serializers.SlugRelatedField(slug_field="name", read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                         help_text="Who applied it; null for the machine's own moves.")

    class Meta:
        model = ThresholdEvent
        fields = ["id", "kind", "evidence", "model_version", "old_threshold", "new_threshold",
                  "target_precision", "n", "correct", "low", "high", "actor", "note", "created_at"]


class PolicySerializer(serializers.Serializer):
    apply_proposals = serializers.BooleanField(required=False)
    exploration_width = serializers.FloatField(required=False, min_value=0.005, max_value=0.5)
    exploration_rate = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)


class PolicyInputSerializer(StrictInputSerializer, PolicySerializer):
    pass


class BandOutputSerializer(serializers.Serializer):
    floor = serializers.FloatField(help_text="Where the threshold moves once the band is certified.")
    n = serializers.IntegerField(help_text="Reviewed labels in the band.")
    correct = serializers.IntegerField()
    low = serializers.FloatField(help_text="95% Wilson interval of their precision")
    high = serializers.FloatField()


class RoutingStateOutputSerializer(serializers.Serializer):
    auto_accept_threshold = serializers.FloatField(allow_null=True)
    target_precision = serializers.FloatField()
    policy = PolicySerializer()
    proposal = ThresholdEventOutputSerializer(allow_null=True,
                                              help_text="The active version's latest proposal.")
    band = BandOutputSerializer(allow_null=True, help_text="null while routing is off.")
    timeline = ThresholdEventOutputSerializer(many=True, help_text="Newest first.")


class ApplyProposalInputSerializer(StrictInputSerializer):
    proposal = serializers.IntegerField(min_value=1, help_text="The proposal event's id.")


class ProjectRoutingApi(ApiView):
    """GET the routing state; PATCH the policy (apply_proposals, exploration_width,
    exploration_rate)."""

    permission_classes = [IsAuthenticated, IsProjectManagerOrReadOnly]

    @extend_schema(responses=RoutingStateOutputSerializer)
    def get(self, request, project_id: int):
        project = self._project(request, project_id)
        reject_unknown_query_params(request)
        return Response(RoutingStateOutputSerializer(routing_overview(project=project)).data)

    @extend_schema(request=PolicyInputSerializer, responses=RoutingStateOutputSerializer)
    def patch(self, request, project_id: int):
        project = self._project(request, project_id)
        serializer = PolicyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        routing_policy_update(project=project, data=dict(serializer.validated_data))
        project.refresh_from_db()
        return Response(RoutingStateOutputSerializer(routing_overview(project=project)).data)

    def _project(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        return project


class ProjectProposalApplyApi(ApiView):
    """Turn auto-accept on at (or move it to) the active version's proposed threshold. 400 when
    the proposal named is not the active version's latest, or certifies nothing."""

    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(request=ApplyProposalInputSerializer, responses=RoutingStateOutputSerializer)
    def post(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        serializer = ApplyProposalInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = threshold_proposal(project=project)
        if proposal is None or proposal.pk != serializer.validated_data["proposal"]:
            raise ValidationError({"proposal": "This is not the active version's latest proposal."})
        threshold_apply_proposal(project=project, proposal=proposal, actor=request.user)
        project.refresh_from_db()
        return Response(RoutingStateOutputSerializer(routing_overview(project=project)).data)
