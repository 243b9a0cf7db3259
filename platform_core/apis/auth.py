"""Token sign-in for API clients. There is no sign-up: organization admins add users."""
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from platform_core.apis.common import ApiView, BoundedJSONParser
from platform_core.services.tokens import token_get_or_create
from platform_core.signin import address_failure_record, address_retry_after, locked_out_message

LOCKED_OUT = "Too many failed sign-ins for this username from this address; try again later."
ADDRESS_LIMITED = "Too many failed sign-ins from this address, whatever the usernames."


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


class TokenCreateApi(ApiView):
    """Exchange a username and password for an API token."""

    # No session here: a browser's session cookie would make DRF demand a CSRF token.
    authentication_classes = []
    permission_classes = []
    parser_classes = [BoundedJSONParser, FormParser]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: TokenOutputSerializer,
            429: OpenApiResponse(description=f"{LOCKED_OUT} Or: {ADDRESS_LIMITED}"),
        },
        auth=[],
    )
    def post(self, request):
        # Before the password is checked: past the limit, a right guess must not show.
        retry_after = address_retry_after(request)
        if retry_after is not None:
            raise Throttled(wait=retry_after, detail=ADDRESS_LIMITED)
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            address_failure_record(request)
            # django-axes marks the request when this username is locked out from here; the
            # password was then not even checked, so "wrong credentials" would mislead.
            if getattr(request, "axes_locked_out", False):
                raise Throttled(detail=locked_out_message())
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        # A token sign-in is a sign-in: last_login is set, and django-axes forgets the failures.
        user_logged_in.send(sender=type(user), request=request, user=user)
        token = token_get_or_create(user=user)
        return Response(TokenOutputSerializer({"token": token.key}).data)
