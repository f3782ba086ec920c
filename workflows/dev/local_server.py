"""What the local fakes of outside services (Twilio, Alibaba Cloud SMS) share: a threaded HTTP server on 127.0.0.1
that never waits for a slow handler on shutdown and takes clients hanging up (their timeouts, tests) as routine."""
from __future__ import annotations

import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for a "slow" handler on shutdown
    fake: Any  # the fake whose requests this server hands over
    label = "fake"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up are routine; anything else is a bug worth a warning."""
        error = sys.exc_info()[1]
        level = logging.DEBUG if isinstance(error, (ConnectionError, TimeoutError)) else logging.WARNING
        log.log(level, "%s: request from %s failed", self.label, client_address, exc_info=True)


class LocalServer:
    """One fake's server and its thread: bound to 127.0.0.1:`port` (0: any free port) by `start`."""

    def __init__(self) -> None:
        self.server: QuietServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, server_class: type[QuietServer], handler: type[BaseHTTPRequestHandler], fake: Any,
              port: int = 0) -> str:
        """Serve on a daemon thread; returns host:port."""
        if self.server is not None:
            raise RuntimeError(f"{server_class.label} already started")
        server = server_class(("127.0.0.1", port), handler)
        server.fake = fake
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=server_class.label.replace(" ", "-"), daemon=True)
        self._thread.start()
        return f"127.0.0.1:{server.server_address[1]}"

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
