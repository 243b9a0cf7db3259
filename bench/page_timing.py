"""Timing pages in process through Django's test client, for the benches that do (metrics,
project list): a signed-in client, and milliseconds per call of each URL, round by round."""
import sys
import time


def signed_in(user):
    """Django's test client with `user`'s session (the host is one ALLOWED_HOSTS has)."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def time_urls(client, urls: dict[str, str], repeat: int, warmup: int) -> dict[str, list[float]]:
    """Milliseconds per GET of each URL, interleaved, `repeat` rounds after `warmup` unmeasured;
    exits on an answer other than 200."""
    times = {name: [] for name in urls}
    for round_ in range(warmup + repeat):
        for name, url in urls.items():
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
            if round_ >= warmup:
                times[name].append(elapsed)
    return times
