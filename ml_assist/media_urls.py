"""Signed media links for model servers; config/urls.py includes these at the root."""
from django.urls import path

from ml_assist.media_links import signed_media_view

urlpatterns = [
    path("media/signed/<str:token>/", signed_media_view, name="ml-signed-media"),
]
