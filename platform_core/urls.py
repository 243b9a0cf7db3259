from django.urls import path

from platform_core.apis.auth import TokenCreateApi
from platform_core.apis.deliveries import (
    DeliveryDetailApi,
    DeliveryPurgeApi,
    ExportJobDetailApi,
    ExportJobDownloadApi,
    OrganizationDeliveryListApi,
    ProjectDeliverApi,
    ProjectExportJobListApi,
)
from platform_core.apis.exports import ProjectExportApi
from platform_core.apis.imports import ImportJobDetailApi, ProjectImportListApi
from platform_core.apis.metrics import ProjectMetricsApi
from platform_core.apis.label_renames import LabelRenameJobDetailApi
from platform_core.apis.members import (
    OrganizationMemberDetailApi,
    OrganizationMemberEventListApi,
    OrganizationMemberListApi,
)
from platform_core.apis.organizations import OrganizationListApi, OrganizationMetricsApi
from platform_core.apis.projects import ProjectArchiveApi, ProjectDetailApi, ProjectListApi
from platform_core.apis.tasks import ProjectTaskListApi, TaskDetailApi, TaskGoldApi

app_name = "api"

urlpatterns = [
    path("auth/token/", TokenCreateApi.as_view(), name="token"),
    path("organizations/", OrganizationListApi.as_view(), name="organization-list"),
    path(
        "organizations/<int:organization_id>/members/",
        OrganizationMemberListApi.as_view(),
        name="organization-members",
    ),
    path(
        "organizations/<int:organization_id>/members/<int:membership_id>/",
        OrganizationMemberDetailApi.as_view(),
        name="organization-member-detail",
    ),
    path(
        "organizations/<int:organization_id>/member-events/",
        OrganizationMemberEventListApi.as_view(),
        name="organization-member-events",
    ),
    path(
        "organizations/<int:organization_id>/metrics/",
        OrganizationMetricsApi.as_view(),
        name="organization-metrics",
    ),
    path("projects/", ProjectListApi.as_view(), name="project-list"),
    path("projects/<int:project_id>/", ProjectDetailApi.as_view(), name="project-detail"),
    path(
        "projects/<int:project_id>/archive/", ProjectArchiveApi.as_view(), name="project-archive"
    ),
    path(
        "label-renames/<int:job_id>/", LabelRenameJobDetailApi.as_view(), name="label-rename-detail"
    ),
    path(
        "projects/<int:project_id>/imports/",
        ProjectImportListApi.as_view(),
        name="project-imports",
    ),
    path("projects/<int:project_id>/tasks/", ProjectTaskListApi.as_view(), name="project-tasks"),
    path("imports/<int:import_id>/", ImportJobDetailApi.as_view(), name="import-detail"),
    path("tasks/<int:task_id>/", TaskDetailApi.as_view(), name="task-detail"),
    path("tasks/<int:task_id>/gold/", TaskGoldApi.as_view(), name="task-gold"),
    path(
        "projects/<int:project_id>/metrics/", ProjectMetricsApi.as_view(), name="project-metrics"
    ),
    path("projects/<int:project_id>/export/", ProjectExportApi.as_view(), name="project-export"),
    path(
        "projects/<int:project_id>/exports/", ProjectExportJobListApi.as_view(), name="project-exports"
    ),
    path("exports/<int:export_id>/", ExportJobDetailApi.as_view(), name="export-detail"),
    path("exports/<int:export_id>/download/", ExportJobDownloadApi.as_view(), name="export-download"),
    path("projects/<int:project_id>/deliver/", ProjectDeliverApi.as_view(), name="project-deliver"),
    path(
        "organizations/<int:organization_id>/deliveries/",
        OrganizationDeliveryListApi.as_view(),
        name="organization-deliveries",
    ),
    path("deliveries/<int:delivery_id>/", DeliveryDetailApi.as_view(), name="delivery-detail"),
    path("deliveries/<int:delivery_id>/purge/", DeliveryPurgeApi.as_view(), name="delivery-purge"),
]
