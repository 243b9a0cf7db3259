"""The model-server address guard: private addresses refused, the connection made to the address
that was checked (no DNS rebinding), TLS still naming the host, no proxy from the environment."""
import socket

import pytest

from ml_assist import external
from ml_assist.external import ModelServerClient, ModelServerError, model_server_url_check
from tests.ml_assist.model_server_fakes import PUBLIC


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9090",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0:9090/",
        "http://localhost:9090/",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(settings, url):
    settings.ML_SERVER_ALLOW_PRIVATE = False
    with pytest.raises(ModelServerError, match="private, loopback or link-local address: refused"):
        model_server_url_check(url)


def test_a_public_name_that_resolves_to_a_private_address_is_refused(settings, monkeypatch):
    settings.ML_SERVER_ALLOW_PRIVATE = False
    monkeypatch.setattr(external.socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80)),
    ])
    with pytest.raises(ModelServerError, match="resolves to 10.1.2.3"):
        model_server_url_check("http://models.example.com/")


def test_a_public_address_passes_the_check(settings):
    settings.ML_SERVER_ALLOW_PRIVATE = False
    model_server_url_check("https://93.184.215.14:9090/")


def test_a_refused_address_is_never_contacted(model_server, settings):
    settings.ML_SERVER_ALLOW_PRIVATE = False
    with ModelServerClient(model_server.url) as client, pytest.raises(ModelServerError):
        client.health()
    assert model_server.calls == []


def test_the_connection_goes_to_the_address_that_was_checked(
    settings, network, model_server, internal_server
):
    settings.ML_SERVER_ALLOW_PRIVATE = False
    network.routes[PUBLIC] = model_server.port
    # DNS rebinding: public for the check, loopback for anyone who asks again.
    network.names["models.example.com"] = [PUBLIC, "127.0.0.1"]
    url = f"http://models.example.com:{internal_server.port}"
    with ModelServerClient(url) as client:
        assert client.health()["status"] == "UP"
    assert internal_server.calls == []
    assert [call[1] for call in model_server.calls] == ["/health"]
    assert model_server.hosts == [f"models.example.com:{internal_server.port}"]


def test_a_proxy_from_the_environment_does_not_take_the_request(
    settings, network, model_server, internal_server, monkeypatch
):
    settings.ML_SERVER_ALLOW_PRIVATE = False
    network.routes[PUBLIC] = model_server.port
    network.names["models.example.com"] = [PUBLIC]
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, internal_server.url)  # a proxy connects wherever it likes
    with ModelServerClient("http://models.example.com/") as client:
        assert client.health()["status"] == "UP"
    assert internal_server.calls == []
    assert model_server.hosts == ["models.example.com"]


def test_https_to_the_checked_address_still_names_the_host_for_sni_and_the_certificate(
    settings, network, tls_server, sleeps
):
    settings.ML_SERVER_ALLOW_PRIVATE = False
    network.routes[PUBLIC] = tls_server.port
    network.names["models.example.com"] = network.names["other.example.com"] = [PUBLIC]
    with ModelServerClient(f"https://models.example.com:{tls_server.port}/") as client:
        client.session.verify = tls_server.cert
        assert client.health()["status"] == "UP"
    assert tls_server.server_names == ["models.example.com"]
    assert tls_server.hosts == [f"models.example.com:{tls_server.port}"]
    # The certificate is checked against the name: the same address under another name fails.
    with ModelServerClient(f"https://other.example.com:{tls_server.port}/", tries=1) as client:
        client.session.verify = tls_server.cert
        with pytest.raises(ModelServerError, match="is down: SSLError"):
            client.health()
    assert tls_server.hosts == [f"models.example.com:{tls_server.port}"]


@pytest.mark.parametrize(
    ("address", "url", "expected", "host"),
    [
        (PUBLIC, "http://models.example.com/predict", f"http://{PUBLIC}/predict",
         "models.example.com"),
        ("2606:2800::1", "https://user:secret@Models.example.com:9090/predict",
         "https://user:secret@[2606:2800::1]:9090/predict", "Models.example.com:9090"),
    ],
)
def test_a_checked_url_keeps_its_port_credentials_and_host_name(address, url, expected, host):
    assert external._url_to(address, url) == (expected, {"Host": host})


@pytest.mark.parametrize(
    "url", ["ftp://models.example.com/", "file:///etc/passwd", "models.example.com", "", "http://"]
)
def test_urls_that_are_not_http_are_refused(settings, url):
    settings.ML_SERVER_ALLOW_PRIVATE = True
    with pytest.raises(ModelServerError, match="must be http|names no host"):
        model_server_url_check(url)
