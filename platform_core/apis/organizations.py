"""Organizations the caller belongs to, and their members."""
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import ApiView, StrictInputSerializer, reject_unknown_query_params
from platform_core.apis.permissions import IsOrganizationAdminOrReadOnly, IsSuperuserOrReadOnly
from platform_core.apis.scoping import (
    memberships_of,
    organization_get_for_member,
    roles_by_organization,
)
from platform_core.models import Membership, Organization, Role
from platform_core.selectors import organizations_for_user
from platform_core.services.organizations import membership_add, organization_create

username_field = get_user_model()._meta.get_field("username")


class OrganizationInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)


class OrganizationOutputSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="The caller's role here.")

    class Meta:
        model = Organization
        fields = ["id", "name", "created_at", "role"]

    def get_role(self, organization) -> str | None:
        return self.context["roles"].get(organization.pk)


class MembershipInputSerializer(StrictInputSerializer):
    username = serializers.CharField(
        max_length=username_field.max_length, validators=username_field.validators
    )
    role = serializers.ChoiceField(choices=Role.choices)
    password = serializers.CharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        max_length=4096,
        help_text="Only for a new user; an existing user keeps their own password.",
    )


class MembershipOutputSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "role", "created_at"]


class OrganizationListApi(ApiView):
    """Organizations the caller belongs to; platform administrators create them."""

    permission_classes = [IsAuthenticated, IsSuperuserOrReadOnly]

    @extend_schema(responses=OrganizationOutputSerializer(many=True))
    def get(self, request):
        reject_unknown_query_params(request)
        return self.paginated_response(
            organizations_for_user(user=request.user).order_by("name"),
            OrganizationOutputSerializer,
            roles=roles_by_organization(user=request.user),
        )

    @extend_schema(
        request=OrganizationInputSerializer, responses={201: OrganizationOutputSerializer}
    )
    def post(self, request):
        serializer = OrganizationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = organization_create(**serializer.validated_data)
        output = OrganizationOutputSerializer(
            organization, context={"roles": roles_by_organization(user=request.user)}
        )
        return Response(output.data, status=status.HTTP_201_CREATED)


class OrganizationMemberListApi(ApiView):
    """Members of an organization; its admins add members by username, creating new users."""

    # Any member may see who else works here; only an admin adds people. Managers may not:
    # adding members includes granting the admin role.
    permission_classes = [IsAuthenticated, IsOrganizationAdminOrReadOnly]

    @extend_schema(responses=MembershipOutputSerializer(many=True))
    def get(self, request, organization_id: int):
        organization = self._organization(request, organization_id)
        reject_unknown_query_params(request)
        return self.paginated_response(
            memberships_of(organization=organization), MembershipOutputSerializer
        )

    @extend_schema(request=MembershipInputSerializer, responses={201: MembershipOutputSerializer})
    def post(self, request, organization_id: int):
        organization = self._organization(request, organization_id)
        serializer = MembershipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = membership_add(organization=organization, **serializer.validated_data)
        return Response(
            MembershipOutputSerializer(membership).data, status=status.HTTP_201_CREATED
        )

    def _organization(self, request, organization_id: int) -> Organization:
        organization = organization_get_for_member(
            user=request.user, organization_id=organization_id
        )
        self.check_object_permissions(request, organization)
        return organization
