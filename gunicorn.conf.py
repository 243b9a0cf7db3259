"""gunicorn's settings wherever the platform serves HTTP: `make run`, the image, docker-compose
and bench/queue_bench.py. gunicorn reads ./gunicorn.conf.py by itself; the command lines add
only the address to bind (and the benchmark its access log).

Sync workers, two per core. A request goes to the first free worker, in arrival order (the
kernel's accept queue), so under load every annotator waits about as long as the others. With
threaded workers a keep-alive connection stays with one process: measured with 20 annotators
on 2 cores, uneven connections per process doubled the next-task p99 (83 ms against 44 ms).
A sync worker is busy for the whole of a slow client's upload or download, so production puts
a buffering proxy in front, as gunicorn's documentation advises.

The application is loaded once, in the master, before the workers are forked (preload_app):
the workers share its pages (Django, DRF, the platform's modules) copy-on-write instead of
each importing its own. Freezing the collector's view of those objects first keeps a worker's
garbage collections from writing to, and so copying, the shared pages. The web process imports
no numpy, SciPy or scikit-learn (tests/platform_core/test_lean_web.py); estimators load on the
worker only.
"""
import gc
import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
worker_class = "sync"
timeout = 120  # seconds one request may take before its worker is replaced
accesslog = "-"
control_socket_disable = True  # nothing here manages gunicorn at run time
preload_app = True


def pre_fork(server, worker):
    gc.freeze()  # idempotent: everything the master holds moves to the permanent generation
