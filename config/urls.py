from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("platform_core.urls")),
    path("api/v1/", include("annotator.api_urls")),
    path("api/v1/", include("ml_assist.api_urls")),
    path("", include("platform_core.health_urls")),
    path("", include("annotator.urls")),
    path("", include("annotator.export_urls")),
    path("", include("ml_assist.urls")),
    path("", include("ml_assist.media_urls")),
]
