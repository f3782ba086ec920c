"""A real nginx (Debian's nginx-light) as the reverse proxy in front of real `duban web` processes, for tests.

    with Nginx(["127.0.0.1:8001", "127.0.0.1:8002"], workdir=tmp_path / "nginx") as proxy:
        requests.get(proxy.url + "/healthz")

Each instance runs in the foreground (`daemon off`) on 127.0.0.1 with its own prefix, configuration, pid file, logs
and temporary folders under `workdir`, so it needs no root and leaves nothing behind. It forwards like a production
site does: Host, X-Forwarded-For ($proxy_add_x_forwarded_for: the address nginx saw, appended), X-Forwarded-Proto
and X-Real-IP; several upstreams are balanced round-robin. `stop()` ends it (SIGQUIT, then SIGKILL) by its own pid.

With `site=render_site(…)` it runs the site shipped in config/deploy/ instead (TLS with a throw-away certificate
from `self_signed`), as tests/integration/test_topology.py does.

Also here: `start_duban_web` (a `duban web` subprocess on a free port, waited for), `from_address` (a `requests`
session whose connections leave from another loopback address, e.g. 127.0.0.2: Linux routes all of 127/8 to the
loopback, so a test can play several clients with different addresses) and `need_nginx`.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

NGINX_CONF = """\
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
{user}
events {{ worker_connections 256; }}
http {{
    access_log {work}/access.log;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
{site}
}}
"""
TEST_SITE = """\
    client_max_body_size 2m;
    upstream duban {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://duban;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_next_upstream error timeout;
{extra}
        }}
    }}
"""
# The site an operator installs (config/deploy/): `render_site` makes it listen on local ports with a test certificate.
SHIPPED_SITE = ROOT / "config" / "deploy" / "nginx-duban.conf"
SHIPPED_UPSTREAMS = ("127.0.0.1:8001", "127.0.0.1:8002")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def need_nginx() -> str:
    """The nginx binary; skips the test when there is none (fails it under CI, which installs nginx-light)."""
    binary = nginx_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs nginx (apt-get install nginx-light)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[Any], what: str, timeout: float = 60.0,
                   host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} did not listen on {port} within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[Any], first: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """End one process this test started, by its pid: `first`, then SIGKILL."""
    if process.poll() is None:
        process.send_signal(first)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


class Nginx:
    """nginx on 127.0.0.1:`port` (a free one by default) proxying to `upstreams` ("host:port" each)."""

    def __init__(self, upstreams: Sequence[str], *, workdir: Path, port: int | None = None, extra: str = "",
                 site: str | None = None) -> None:
        """`site`: a whole site (upstreams and servers, e.g. from `render_site`) instead of the plain one; `port`
        is then the port to wait for."""
        self.upstreams, self.workdir, self.extra, self.site = list(upstreams), Path(workdir), extra, site
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def error_log(self) -> str:
        path = self.workdir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def config(self) -> str:
        servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=2s;" for u in self.upstreams)
        user = "user root;" if os.geteuid() == 0 else ""  # as root nginx would switch its worker to nobody
        site = self.site if self.site is not None else TEST_SITE.format(port=self.port, servers=servers,
                                                                         extra=self.extra)
        return NGINX_CONF.format(work=self.workdir, user=user, site=site)

    def start(self) -> Nginx:
        binary = need_nginx()
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.workdir / name).mkdir(exist_ok=True)
        conf = self.workdir / "nginx.conf"
        conf.write_text(self.config())
        command = [binary, "-p", str(self.workdir), "-c", str(conf), "-e", str(self.workdir / "error.log"),
                   "-g", "daemon off;"]
        check = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, f"nginx refused its configuration:\n{check.stderr}"
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_listening(self.port, self.process, "nginx", timeout=30)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, signal.SIGQUIT)  # graceful: finish the requests in hand
            if self.process.stderr:
                self.process.stderr.close()
            self.process = None

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def self_signed(folder: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A certificate and key for `name` and 127.0.0.1, valid for a day (openssl)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name},IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def render_site(https_port: int, http_port: int, upstreams: Sequence[int], cert: Path, key: Path) -> str:
    """The shipped site on local ports with the test certificate; each line it replaces must be there once."""
    text = SHIPPED_SITE.read_text()
    replacements = [("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                    ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                    ("/etc/ssl/duban/fullchain.pem", str(cert)), ("/etc/ssl/duban/privkey.pem", str(key))]
    replacements += [(f"server {shipped} ", f"server 127.0.0.1:{port} ")
                     for shipped, port in zip(SHIPPED_UPSTREAMS, upstreams, strict=True)]
    for old, new in replacements:
        assert text.count(old) == 1, f"{SHIPPED_SITE.name} no longer holds {old!r} once: update render_site"
        text = text.replace(old, new)
    return text


def start_duban_web(database_url: str, env: Mapping[str, str], *, port: int | None = None, host: str = "127.0.0.1",
                    log: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`duban web` as a user starts it (a subprocess, settings from the environment), waited for until it listens.
    Returns the process (stop it with `stop_process`) and its base URL."""
    port = port or free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (the child keeps its own copy)
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "--log-format", "text", "web", "--database", database_url,
         "--host", host, "--port", str(port)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, stdout=out, stderr=out)
    if log:
        out.close()
    wait_listening(port, process, "duban web", timeout=120, host=host)
    return process, f"http://{host}:{port}"


def from_address(address: str) -> Any:
    """A `requests` session whose connections leave from `address` (any 127.x.y.z works on Linux)."""
    import requests
    from requests.adapters import HTTPAdapter

    class _SourceAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["source_address"] = (address, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", _SourceAdapter())
    return session
