"""Stand-ins for a Label Studio ML backend, for the model-server tests (fixtures in conftest.py)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What a server may answer but no job message may show (see test_answers_are_logged_not_shown).
SECRET = "AKIA-do-not-show-7f3c"
# A public address; the `network` fixture routes connections to it to a local server.
PUBLIC = "93.184.215.14"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.calls.append((self.command, self.path, body))
        self.server.hosts.append(self.headers.get("Host"))
        answers = self.server.routes.get(self.path, [(404, {"detail": "no such route"})])
        status, payload, *delay = answers.pop(0) if len(answers) > 1 else answers[0]
        if delay:
            time.sleep(delay[0])
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status in (301, 302):
            self.send_header("Location", f"http://169.254.169.254/latest/meta-data/{SECRET}")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out closed the socket: expected in the slow tests


def serving(server):
    server.routes = {"/health": [(200, {"status": "UP"})]}
    server.calls, server.hosts = [], []
    server.port = server.server_address[1]
    server.url = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
