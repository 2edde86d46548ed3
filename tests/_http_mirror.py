"""A local HTTP server for the download tests: no network, every request recorded."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # quiet: pytest shows stderr of failures only
        pass


@contextlib.contextmanager
def serving(folder):
    """``(base_url, requests)`` while ``folder`` is served on 127.0.0.1; ``requests`` lists
    every path asked for."""
    requests = []

    class Counting(QuietHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    handler = functools.partial(Counting, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
