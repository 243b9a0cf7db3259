"""The platform's URLs plus the floor endpoint of bench/queue_bench.py, for the benchmark's
server only (queue_bench_server.bench_application sets it as the URLconf).

The floor is an authenticated API request that does no work: the same middleware, token
authentication, DRF view and JSON rendering as every API call, and nothing else. Its latency
under the same client load is what any endpoint costs on this machine at this moment; each
figure divided by it holds across machines that differ 3x in speed.
"""
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from config.urls import urlpatterns as platform_urlpatterns
from platform_core.apis.common import ApiView
from queue_bench_server import FLOOR_PATH  # bench/ is on the path


class FloorApi(ApiView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": request.user.pk})

    def post(self, request):
        return Response({"user": request.user.pk})


urlpatterns = [*platform_urlpatterns, path(FLOOR_PATH.lstrip("/"), FloorApi.as_view())]
