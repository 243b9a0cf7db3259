"""ml_assist's browser pages, mounted at the site root next to annotator's."""
from django.urls import path

from ml_assist import views

urlpatterns = [
    path("projects/<int:project_id>/models/", views.project_models, name="project-models"),
]
