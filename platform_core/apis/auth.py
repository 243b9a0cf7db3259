"""Token sign-in for API clients. There is no sign-up: organization admins add users."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from platform_core.apis.common import ApiView, BoundedJSONParser
from platform_core.services.tokens import token_get_or_create


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


class TokenCreateApi(ApiView):
    """Exchange a username and password for an API token."""

    # No session here: a browser's session cookie would make DRF demand a CSRF token.
    authentication_classes = []
    permission_classes = []
    parser_classes = [BoundedJSONParser, FormParser]

    @extend_schema(request=AuthTokenSerializer, responses=TokenOutputSerializer, auth=[])
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = token_get_or_create(user=serializer.validated_data["user"])
        return Response(TokenOutputSerializer({"token": token.key}).data)
