from django.urls import path

from annotator import export_views

urlpatterns = [
    path("projects/<int:project_id>/export/", export_views.project_export_page, name="project-export"),
]
