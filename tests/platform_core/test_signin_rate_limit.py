"""One address may fail only so many sign-ins, whatever the usernames: on the token API and the
login page, counted in a cache every process shares, against the address axes sees too."""
import subprocess
import sys
import uuid

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache, caches
from django.test import Client, RequestFactory
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from platform_core import signin
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.workers import ROOT, child_environment

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/login/"
LIMIT = 5
ATTACKER, NEIGHBOUR, PROXY = "203.0.113.5", "198.51.100.7", "10.0.0.2"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.SIGNIN_RATE_PER_ADDRESS = f"{LIMIT}/5m"
    settings.TRUSTED_PROXY_COUNT = 0
    cache.clear()  # the test cache is files of this test database only (config.settings.test)
    yield
    cache.clear()


def ask_for_token(username: str, password: str, **meta):
    body = {"username": username, "password": password}
    return APIClient().post(TOKEN_URL, body, format="json", **meta)


def sign_in_on_page(username: str, password: str, **meta):
    return Client().post(LOGIN_URL, {"username": username, "password": password}, **meta)


def guess_many_usernames(sign_in, count: int, **meta) -> list[int]:
    """Each guess names a different username, so axes (per username) never steps in."""
    usernames = [f"guess-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    return [sign_in(username, "guess", **meta).status_code for username in usernames]


def test_an_address_trying_many_usernames_gets_429_from_the_token_api_past_the_limit():
    user = UserFactory()

    assert guess_many_usernames(ask_for_token, LIMIT, REMOTE_ADDR=ATTACKER) == [400] * LIMIT
    refused = ask_for_token(user.username, DEFAULT_PASSWORD, REMOTE_ADDR=ATTACKER)

    assert refused.status_code == 429
    assert "from this address" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 300
    assert not Token.objects.filter(user=user).exists()  # the right password did not get through


def test_an_address_trying_many_usernames_gets_429_from_the_login_page_past_the_limit():
    user = UserFactory()

    assert guess_many_usernames(sign_in_on_page, LIMIT, REMOTE_ADDR=ATTACKER) == [200] * LIMIT
    refused = sign_in_on_page(user.username, DEFAULT_PASSWORD, REMOTE_ADDR=ATTACKER)

    assert refused.status_code == 429
    assert "Too many failed sign-ins from your network address" in refused.content.decode()
    assert "_auth_user_id" not in refused.wsgi_request.session
    assert Client().get(LOGIN_URL, REMOTE_ADDR=ATTACKER).status_code == 200  # the page still shows


def test_the_page_and_the_api_share_one_count():
    guess_many_usernames(sign_in_on_page, LIMIT - 1, REMOTE_ADDR=ATTACKER)
    guess_many_usernames(ask_for_token, 1, REMOTE_ADDR=ATTACKER)

    assert guess_many_usernames(sign_in_on_page, 1, REMOTE_ADDR=ATTACKER) == [429]


def test_another_address_is_unaffected():
    user = UserFactory()
    guess_many_usernames(ask_for_token, LIMIT, REMOTE_ADDR=ATTACKER)

    assert ask_for_token(user.username, DEFAULT_PASSWORD, REMOTE_ADDR=NEIGHBOUR).status_code == 200
    page = sign_in_on_page(user.username, DEFAULT_PASSWORD, REMOTE_ADDR=NEIGHBOUR)
    assert page.status_code == 302


def test_successful_sign_ins_are_not_counted():
    user = UserFactory()
    for _ in range(LIMIT + 2):
        token = ask_for_token(user.username, DEFAULT_PASSWORD, REMOTE_ADDR=ATTACKER)
        page = sign_in_on_page(user.username, DEFAULT_PASSWORD, REMOTE_ADDR=ATTACKER)
        assert (token.status_code, page.status_code) == (200, 302)

    assert guess_many_usernames(ask_for_token, 1, REMOTE_ADDR=ATTACKER) == [400]


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted():
    # A client cannot get a fresh count by naming a new address in the header.
    codes = [
        ask_for_token(
            f"guess-{n}", "guess", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(LIMIT + 1)
    ]

    assert codes == [400] * LIMIT + [429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_behind_a_trusted_proxy_the_address_it_forwarded_is_counted(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory()

    # Entries left of the proxy's own are the client's to write, so they change nothing.
    codes = [
        ask_for_token(
            f"guess-{n}",
            "guess",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}",
        ).status_code
        for n in range(LIMIT + 1)
    ]
    neighbour = ask_for_token(
        user.username, DEFAULT_PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=NEIGHBOUR
    )

    assert codes == [400] * LIMIT + [429]
    assert neighbour.status_code == 200
    # axes locks by the same address.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.1", ATTACKER),
        (1, "", ATTACKER),  # came around the proxy: counted against its own address
        (1, "192.0.2.1, 198.51.100.7", "198.51.100.7"),
        (2, "192.0.2.1, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (2, "198.51.100.7", ATTACKER),  # fewer entries than proxies
        (1, "not-an-address", ATTACKER),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_reads_the_entry_of_the_outermost_trusted_proxy(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post(TOKEN_URL, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=forwarded)

    assert signin.client_address(request) == expected


@pytest.mark.servers  # Redis
def test_the_limit_holds_on_redis(settings):
    prefix = f"test-signin-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    try:
        codes = guess_many_usernames(ask_for_token, LIMIT + 1, REMOTE_ADDR=ATTACKER)
        assert codes == [400] * LIMIT + [429]
    finally:
        # Never cache.clear() here: it would empty the whole Redis database.
        client = caches["default"]._cache.get_client(write=True)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_a_cache_that_does_not_answer_lets_sign_ins_through(monkeypatch):
    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(signin, "get_usage", unreachable)
    user = UserFactory()

    assert ask_for_token(user.username, DEFAULT_PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 200


RECORD_FAILURES = """
from django.test import RequestFactory
from platform_core.signin import address_failure_record
request = RequestFactory().post("/login/", REMOTE_ADDR={address!r})
for _ in range({count}):
    address_failure_record(request)
"""


def test_the_embedded_cache_counts_failures_of_other_processes(settings, tmp_path):
    """Without Redis, failures recorded by another process (another gunicorn worker) count."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    code = RECORD_FAILURES.format(address=ATTACKER, count=LIMIT)
    env = child_environment(VAR_DIR=str(tmp_path), SIGNIN_RATE_PER_ADDRESS=f"{LIMIT}/5m")
    manage_py_shell(code, env)

    assert guess_many_usernames(ask_for_token, 1, REMOTE_ADDR=ATTACKER) == [429]


@pytest.mark.parametrize(
    ("redis_url", "backend"),
    [
        ("redis://127.0.0.1:6379/0", "django.core.cache.backends.redis.RedisCache"),
        ("", "django.core.cache.backends.filebased.FileBasedCache"),
    ],
)
def test_the_cache_is_redis_when_configured_else_files_under_var_dir(tmp_path, redis_url, backend):
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = child_environment(VAR_DIR=str(tmp_path), REDIS_URL=redis_url)
    assert manage_py_shell(code, env).splitlines()[-1] == backend


def manage_py_shell(code: str, env: dict) -> str:
    """What `manage.py shell -c code` printed, run in a child process with `env`."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()
