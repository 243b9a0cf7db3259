from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token/"

pytestmark = pytest.mark.django_db


def test_token_from_username_and_password_authenticates_later_calls():
    user = UserFactory()
    client = APIClient()

    response = client.post(
        TOKEN_URL, {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=user).key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/organizations/").status_code == 200


def test_a_deactivated_users_token_is_refused():
    user = UserFactory()
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/organizations/").status_code == 200

    user.is_active = False
    user.save()

    response = client.get("/api/v1/organizations/")
    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "User inactive or deleted."}


def test_asking_twice_returns_the_same_token():
    user = UserFactory()
    body = {"username": user.username, "password": DEFAULT_PASSWORD}

    first = APIClient().post(TOKEN_URL, body, format="json").json()["token"]
    second = APIClient().post(TOKEN_URL, body, format="json").json()["token"]

    assert first == second


def test_wrong_password_gets_400_and_no_token():
    user = UserFactory()

    response = APIClient().post(
        TOKEN_URL, {"username": user.username, "password": "wrong"}, format="json"
    )

    assert response.status_code == 400
    assert "token" not in response.json()
    assert not Token.objects.filter(user=user).exists()


def ask_for_token(username: str, password: str):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_repeated_wrong_passwords_lock_the_username_even_for_the_right_one(settings):
    user, bystander = UserFactory(), UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert ask_for_token(user.username, "guess").status_code == 400
    assert ask_for_token(user.username, "guess").status_code == 429  # the last failure allowed

    locked = ask_for_token(user.username, DEFAULT_PASSWORD)

    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.json()["detail"]
    assert not Token.objects.filter(user=user).exists()
    assert ask_for_token(bystander.username, DEFAULT_PASSWORD).status_code == 200


def test_a_successful_sign_in_starts_the_count_again(settings):
    user = UserFactory()
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert ask_for_token(user.username, "guess").status_code == 400
        assert ask_for_token(user.username, DEFAULT_PASSWORD).status_code == 200
    user.refresh_from_db()
    assert user.last_login is not None


def test_the_lock_ends_after_the_cool_off(settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        ask_for_token(user.username, "guess")
    assert ask_for_token(user.username, DEFAULT_PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(hours=1))

    assert ask_for_token(user.username, DEFAULT_PASSWORD).status_code == 200


def test_unknown_username_creates_no_user():
    users_before = get_user_model().objects.count()

    response = APIClient().post(
        TOKEN_URL, {"username": "newcomer", "password": "Some-long-pass-123"}, format="json"
    )

    assert response.status_code == 400
    assert get_user_model().objects.count() == users_before


def test_garbage_body_is_a_json_400():
    response = APIClient().post(TOKEN_URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_form_encoded_credentials_work_for_curl_users():
    user = UserFactory()

    response = Client().post(
        TOKEN_URL,
        urlencode({"username": user.username, "password": DEFAULT_PASSWORD}),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200


def test_a_browser_session_does_not_make_the_token_call_demand_csrf():
    user = UserFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = browser.post(
        TOKEN_URL,
        {"username": user.username, "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200


def test_an_invalid_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/organizations/")

    # 403 rather than 401: session authentication comes first and sends no challenge header.
    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Invalid token."}


def test_anonymous_callers_are_refused_with_json():
    response = APIClient().get("/api/v1/projects/")

    assert response.status_code in (401, 403)
    assert "detail" in response.json()
