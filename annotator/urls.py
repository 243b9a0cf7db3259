from django.contrib.auth import views as auth_views
from django.urls import path

from annotator import (
    dashboard_views,
    members_views,
    project_setup_views,
    review_views,
    task_views,
    views,
)
from platform_core import signin

urlpatterns = [
    # Django's login view with the per-address limit on failed sign-ins (platform_core.signin).
    path("login/", signin.LoginView.as_view(), name="login"),
    # Django 5 logs out on POST only; the nav posts a form with the CSRF token.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("projects/new/", project_setup_views.project_new, name="project-new"),
    path(
        "projects/guidelines-preview/",
        project_setup_views.guidelines_preview,
        name="guidelines-preview",
    ),
    path("projects/<int:project_id>/", views.project_detail, name="project-detail"),
    path(
        "projects/<int:project_id>/settings/",
        project_setup_views.project_settings,
        name="project-settings",
    ),
    path(
        "organizations/<int:organization_id>/members/",
        members_views.organization_members,
        name="organization-members",
    ),
    path("projects/<int:project_id>/import/", views.project_import, name="project-import"),
    path("projects/<int:project_id>/label/", views.project_label, name="project-label"),
    path("projects/<int:project_id>/review/", review_views.project_review, name="project-review"),
    path(
        "projects/<int:project_id>/dashboard/",
        dashboard_views.project_dashboard,
        name="project-dashboard",
    ),
    path(
        "organizations/<int:organization_id>/dashboard/",
        dashboard_views.organization_dashboard,
        name="organization-dashboard",
    ),
    path("projects/<int:project_id>/tasks/go/", task_views.task_go, name="project-task-go"),
    path("tasks/<int:task_id>/", task_views.task_detail, name="task-page"),
]
