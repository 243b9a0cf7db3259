"""What a locked-out sign-in gets back: django-axes counts the failures (AXES_* in settings)
and calls `lockout_response` for the login pages; the token API answers with the same words."""
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render


def locked_out_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        f"Too many failed sign-ins for this account. Try again in {minutes} minutes, "
        "or ask your organization's admin."
    )


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    context = {"message": locked_out_message()}
    return render(request, "registration/locked_out.html", context, status=429)
