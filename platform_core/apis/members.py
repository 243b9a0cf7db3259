"""An organization's members: any member lists them; its admins add, change and remove them,
and read the record of every such change."""
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import ApiView, StrictInputSerializer, reject_unknown_query_params
from platform_core.apis.permissions import IsOrganizationAdmin, IsOrganizationAdminOrReadOnly
from platform_core.apis.scoping import _get_or_404, memberships_of, organization_get_for_member
from platform_core.models import Membership, MembershipEvent, Organization, Role
from platform_core.services.organizations import (
    membership_add,
    membership_add_new_user,
    membership_remove,
    membership_role_change,
)

username_field = get_user_model()._meta.get_field("username")


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
    generate_password = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Create a new user with a generated password, returned once as `password`.",
    )

    def validate(self, data):
        if data.get("generate_password") and data.get("password"):
            raise serializers.ValidationError(
                {"password": "Give a password or ask for one to be generated, not both."}
            )
        return data


class MembershipRoleInputSerializer(StrictInputSerializer):
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipOutputSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    last_login = serializers.DateTimeField(
        source="user.last_login", allow_null=True, help_text="The member's last sign-in."
    )

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "role", "created_at", "last_login"]


class MembershipEventOutputSerializer(serializers.ModelSerializer):
    # Plain text, not a second enum of the roles in the schema.
    old_role = serializers.CharField(help_text="A role, or empty when they were not a member.")
    new_role = serializers.CharField(help_text="A role, or empty when they were removed.")

    class Meta:
        model = MembershipEvent
        fields = [
            "id", "created_at", "actor", "actor_username", "member", "member_username",
            "action", "old_role", "new_role",
        ]


class _OrganizationView(ApiView):
    def _organization(self, request, organization_id: int) -> Organization:
        organization = organization_get_for_member(
            user=request.user, organization_id=organization_id
        )
        self.check_object_permissions(request, organization)
        return organization


class OrganizationMemberListApi(_OrganizationView):
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
        fields = dict(serializer.validated_data)
        password = None
        if fields.pop("generate_password"):
            membership, password = membership_add_new_user(
                organization=organization, actor=request.user, **fields
            )
        else:
            membership = membership_add(organization=organization, actor=request.user, **fields)
        body = MembershipOutputSerializer(membership).data
        if password is not None:
            body["password"] = password  # shown this once; only its hash is kept
        return Response(body, status=status.HTTP_201_CREATED)


class OrganizationMemberDetailApi(_OrganizationView):
    """One member: an admin changes their role or removes them; the last admin stays."""

    permission_classes = [IsAuthenticated, IsOrganizationAdminOrReadOnly]

    @extend_schema(responses=MembershipOutputSerializer)
    def get(self, request, organization_id: int, membership_id: int):
        membership = self._membership(request, organization_id, membership_id)
        return Response(MembershipOutputSerializer(membership).data)

    @extend_schema(request=MembershipRoleInputSerializer, responses=MembershipOutputSerializer)
    def patch(self, request, organization_id: int, membership_id: int):
        membership = self._membership(request, organization_id, membership_id)
        serializer = MembershipRoleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = membership_role_change(
            membership=membership, role=serializer.validated_data["role"], actor=request.user
        )
        return Response(MembershipOutputSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request, organization_id: int, membership_id: int):
        membership = self._membership(request, organization_id, membership_id)
        membership_remove(membership=membership, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _membership(self, request, organization_id: int, membership_id: int) -> Membership:
        organization = self._organization(request, organization_id)
        members = memberships_of(organization=organization)
        return _get_or_404(members, membership_id, "No such member.")


class OrganizationMemberEventListApi(_OrganizationView):
    """Who added, changed or removed which member, and when; newest first. Admins only."""

    permission_classes = [IsAuthenticated, IsOrganizationAdmin]

    @extend_schema(responses=MembershipEventOutputSerializer(many=True))
    def get(self, request, organization_id: int):
        organization = self._organization(request, organization_id)
        reject_unknown_query_params(request)
        return self.paginated_response(
            organization.membership_events.order_by("-created_at", "-id"),
            MembershipEventOutputSerializer,
        )
