"""API tokens for scripts and other API clients (`Authorization: Token …`)."""
from django.contrib.auth.models import AbstractBaseUser
from rest_framework.authtoken.models import Token


def token_get_or_create(*, user: AbstractBaseUser) -> Token:
    """The user's one token; asking again returns the same key instead of invalidating it."""
    token, _created = Token.objects.get_or_create(user=user)
    return token
