"""Two brakes on password guessing, for the login page and the token API alike.

django-axes locks one username from one address after repeated failures (AXES_* in settings)
and calls `lockout_response` for the login pages. Across usernames, django-ratelimit counts the
failures of each address in the shared cache (SIGNIN_RATE_PER_ADDRESS): the views ask
`address_retry_after` before checking a password and call `address_failure_record` after a
failed one. Both read the client's address through `client_address`.
"""
import ipaddress
import logging
import math

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RATE_LIMIT_GROUP = "signin-failures-per-address"


def client_address(request) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT = n the n-th X-Forwarded-For entry from the
    right: the address the outermost of our proxies saw. Entries further left come from the
    client and are ignored. A request with fewer entries (or a malformed one) did not come
    through every proxy and is counted against REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies:
            try:
                return str(ipaddress.ip_address(forwarded[-proxies]))
            except ValueError:
                pass
    return remote


def _address_usage(request, *, increment: bool) -> dict | None:
    try:
        return get_usage(
            request,
            group=RATE_LIMIT_GROUP,
            key="ip",  # client_address, through RATELIMIT_IP_META_KEY
            rate=settings.SIGNIN_RATE_PER_ADDRESS,
            increment=increment,
        )
    except (RedisError, OSError):
        # Sign-ins go on without this brake while the cache is down; axes still locks.
        logger.exception("Sign-in rate limit skipped: the cache did not answer")
        return None


def address_retry_after(request) -> int | None:
    """Seconds until this address may try to sign in again, or None when it may now."""
    usage = _address_usage(request, increment=False)
    if usage is None or usage["count"] < usage["limit"]:
        return None
    return max(usage["time_left"], 1)


def address_failure_record(request) -> None:
    """Count a failed sign-in against the client's address."""
    _address_usage(request, increment=True)


def address_limited_message(retry_after: int) -> str:
    minutes = math.ceil(retry_after / 60)
    return (
        "Too many failed sign-ins from your network address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


def locked_out_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        f"Too many failed sign-ins for this account. Try again in {minutes} minutes, "
        "or ask your organization's admin."
    )


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    context = {"message": locked_out_message()}
    return render(request, "registration/locked_out.html", context, status=429)


class LoginView(auth_views.LoginView):
    """Django's login page, which refuses an address over the rate limit before any password
    is checked, and counts the failures."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        retry_after = address_retry_after(request)
        if retry_after is not None:
            context = {"message": address_limited_message(retry_after)}
            response = render(request, "registration/locked_out.html", context, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        address_failure_record(self.request)
        return super().form_invalid(form)
