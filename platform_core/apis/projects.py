"""Projects of the caller's organizations; admins and managers change them."""
from urllib.parse import urlsplit, urlunsplit

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import (
    ApiView,
    StrictInputSerializer,
    query_param,
    reject_unknown_query_params,
)
from platform_core.apis.permissions import IsProjectManager, IsProjectManagerOrReadOnly
from platform_core.apis.scoping import organization_get_for_member, roles_by_organization
from platform_core.models import Project, ProjectKind, TaskType
from platform_core.models.organizations import MANAGING_ROLES
from platform_core.models.projects import QueueOrder
from platform_core.selectors import project_get_for_user, projects_for_user
from platform_core.apis.label_renames import LabelRenameJobOutputSerializer
from platform_core.services.label_changes import LabelsInUse
from platform_core.services.projects import (
    project_archive,
    project_create,
    project_delete,
    project_labels_rename,
    project_unarchive,
)

# Seen by admins and managers only: what the organization pays per hour of labeling.
MANAGER_ONLY_FIELDS = ("hourly_rate",)


def _unit_interval(**kwargs) -> serializers.FloatField:
    return serializers.FloatField(min_value=0.0, max_value=1.0, required=False, **kwargs)


class ProjectSettingsSerializer(StrictInputSerializer):
    """The fields a manager may set, on create and on PATCH."""

    name = serializers.CharField(max_length=200)
    label_config = serializers.JSONField(required=False)
    guidelines = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=ProjectKind.choices, required=False)
    overlap = serializers.IntegerField(min_value=1, max_value=20, required=False)
    queue_order = serializers.ChoiceField(choices=QueueOrder.choices, required=False)
    review_sample_rate = _unit_interval()
    annotation_review_rate = _unit_interval()
    second_review_rate = _unit_interval()
    train_on_unreviewed = serializers.BooleanField(required=False)
    auto_accept_threshold = _unit_interval(allow_null=True)
    target_precision = _unit_interval()
    suggestion_holdout_rate = _unit_interval()
    hourly_rate = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False
    )
    # Whether its address is public is checked when the worker calls it (addresses can change).
    model_server_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    use_builtin_model = serializers.BooleanField(required=False)

    def validate_model_server_url(self, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("A model server is reached over http or https.")
        return value


class ProjectCreateInputSerializer(ProjectSettingsSerializer):
    organization = serializers.IntegerField(min_value=1)
    task_type = serializers.ChoiceField(choices=TaskType.choices)


class ProjectUpdateInputSerializer(ProjectSettingsSerializer):
    refused_fields = {
        "organization": "A project cannot move to another organization.",
        "task_type": "The task type cannot change after creation: stored results and "
        "predictions would no longer match it. Create a new project instead.",
        "id": "Read-only.",
        "created_by": "Read-only.",
        "created_at": "Read-only.",
        "updated_at": "Read-only.",
    }

    label_renames = serializers.DictField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="{old value: new value} for labels the new label_config renames; the stored "
        "results that use the old values are rewritten by a job (`label_rename_job`).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class ProjectOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = [
            "id",
            "organization",
            "name",
            "task_type",
            "label_config",
            "guidelines",
            "kind",
            "overlap",
            "queue_order",
            "review_sample_rate",
            "annotation_review_rate",
            "second_review_rate",
            "train_on_unreviewed",
            "auto_accept_threshold",
            "target_precision",
            "suggestion_holdout_rate",
            "hourly_rate",
            "model_server_url",
            "use_builtin_model",
            "created_by",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        extra_kwargs = {
            "hourly_rate": {"help_text": "Only shown to admins and managers."},
            "model_server_url": {
                "help_text": "Whole for admins and managers; other members see the address "
                "without credentials, query or fragment."
            },
        }

    def to_representation(self, project):
        data = super().to_representation(project)
        if self.context["roles"].get(project.organization_id) not in MANAGING_ROLES:
            for field in MANAGER_ONLY_FIELDS:
                data.pop(field, None)
            data["model_server_url"] = address_without_credentials(data["model_server_url"])
        return data


def address_without_credentials(url: str) -> str:
    """`url` with scheme, host, port and path only: a model server's address may carry a
    password (`user:password@`) or a token in its query, and annotators read this field."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # the password itself may contain "@"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class ProjectListApi(ApiView):
    """Projects of the caller's organizations; admins and managers create them."""

    permission_classes = [IsAuthenticated, IsProjectManagerOrReadOnly]

    @extend_schema(
        parameters=[OpenApiParameter("organization", int, description="Only this organization.")],
        responses=ProjectOutputSerializer(many=True),
    )
    def get(self, request):
        reject_unknown_query_params(request, {"organization"})
        projects = projects_for_user(user=request.user)
        organization_id = query_param(
            request, "organization", serializers.IntegerField(min_value=1)
        )
        if organization_id is not None:
            projects = projects.filter(organization_id=organization_id)
        return self.paginated_response(
            projects.order_by("-created_at", "-id"),
            ProjectOutputSerializer,
            roles=roles_by_organization(user=request.user),
        )

    @extend_schema(request=ProjectCreateInputSerializer, responses={201: ProjectOutputSerializer})
    def post(self, request):
        serializer = ProjectCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        # Another organization's id is "not found", exactly like an id that does not exist.
        organization = organization_get_for_member(
            user=request.user, organization_id=fields.pop("organization")
        )
        self.check_object_permissions(request, organization)
        project = project_create(organization=organization, created_by=request.user, **fields)
        return Response(_project_data(request, project), status=status.HTTP_201_CREATED)


class ProjectDetailApi(ApiView):
    """One project; admins and managers change its settings or delete it."""

    permission_classes = [IsAuthenticated, IsProjectManagerOrReadOnly]

    @extend_schema(responses=ProjectOutputSerializer)
    def get(self, request, project_id: int):
        project = self._project(request, project_id)
        return Response(_project_data(request, project))

    @extend_schema(
        request=ProjectUpdateInputSerializer,
        responses={200: ProjectOutputSerializer, 409: OpenApiTypes.OBJECT},
        description="409 when the new label_config drops labels that stored results use: "
        "`affected` is {label: {store: rows}}. Rename them with `label_renames` instead.",
    )
    def patch(self, request, project_id: int):
        # The role is checked before the body is read: an empty PATCH is still a write.
        project = self._project(request, project_id)
        serializer = ProjectUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        renames = data.pop("label_renames", {})
        try:
            project, job = project_labels_rename(
                project=project, data=data, renames=renames, user=request.user
            )
        except LabelsInUse as refused:
            return Response(
                {**refused.message_dict, "detail": refused.message_dict["label_config"][0],
                 "affected": refused.usage},
                status=status.HTTP_409_CONFLICT,
            )
        body = _project_data(request, project)
        if job is not None:
            body["label_rename_job"] = LabelRenameJobOutputSerializer(
                job, context={"request": request}
            ).data
        return Response(body)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id: int):
        project_delete(project=self._project(request, project_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _project(self, request, project_id: int) -> Project:
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        return project


class ProjectArchiveApi(ApiView):
    """POST archives the project: annotators and reviewers no longer see it; its managers do,
    and its data stays for export. DELETE brings it back. Deleting is DELETE on the project."""

    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(request=None, responses=ProjectOutputSerializer)
    def post(self, request, project_id: int):
        project = project_archive(project=self._project(request, project_id))
        return Response(_project_data(request, project))

    @extend_schema(request=None, responses=ProjectOutputSerializer)
    def delete(self, request, project_id: int):
        project = project_unarchive(project=self._project(request, project_id))
        return Response(_project_data(request, project))

    def _project(self, request, project_id: int) -> Project:
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        return project


def _project_data(request, project: Project) -> dict:
    roles = roles_by_organization(user=request.user)
    return ProjectOutputSerializer(project, context={"roles": roles}).data
