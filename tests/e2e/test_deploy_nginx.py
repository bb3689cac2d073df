"""deploy/: the shipped nginx configuration run by a real nginx, and the other deployment files checked.

nginx runs the file from deploy/ with only its paths, ports and upstream changed for a temporary
folder: a stand-in upstream (a tiny HTTP server recording what reaches "Byline") shows which requests
nginx answers from the page cache's files and which it passes on, with which forwarded headers.
"""

import http.client
import os
import re
import shutil
import signal
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory

from byline.core.middleware import PUBLIC_POLICY, ContentSecurityPolicyMiddleware
from byline.lib.smtp_sink import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
HOST = "example.com"
STATIC_PAGE = b"<!doctype html><title>From the file</title><h1>The harbour reopens</h1>\n"


def static_page_headers(config: str) -> dict[str, str]:
    """The add_header lines of the location that serves the page cache's files."""
    block = config.split("location / {", 1)[1].split("\n    }", 1)[0]
    return dict(re.findall(r'add_header ([\w-]+) "([^"]*)" always;', block))


def byline_page_headers() -> dict[str, str]:
    """The security headers Byline's middleware puts on a public page, as Django sends them."""
    view = XFrameOptionsMiddleware(lambda request: HttpResponse("page"))
    chain = SecurityMiddleware(ContentSecurityPolicyMiddleware(view))
    response = chain(RequestFactory().get("/a-story/"))
    return {name: value for name, value in response.headers.items() if name != "Content-Type"}


# ----- the files themselves (no nginx needed) -------------------------------------------------------


def test_the_nginx_csp_for_static_pages_is_byline_public_policy():
    headers = static_page_headers((DEPLOY / "nginx.conf").read_text())

    assert headers["Content-Security-Policy"] == PUBLIC_POLICY


def test_nginx_adds_every_security_header_byline_adds_with_the_same_value():
    nginx = static_page_headers((DEPLOY / "nginx.conf").read_text())
    byline = byline_page_headers()

    assert {"Content-Security-Policy", "Permissions-Policy", "X-Content-Type-Options"} <= set(byline)
    assert {"Referrer-Policy", "X-Frame-Options"} <= set(byline)
    for name, value in byline.items():
        assert nginx.get(name) == value, name


def test_compose_file_parses_and_runs_web_and_worker_with_byline_commands():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]

    assert {"web", "worker", "postgres", "redis", "nginx"} <= set(services)
    assert services["web"]["command"][:3] == ["byline", "serve", "--no-worker"]
    assert services["worker"]["command"][:2] == ["byline", "worker"]
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://")


def test_dockerfile_and_systemd_units_run_commands_byline_has():
    commands = set(get_commands())
    used = []
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE), "runs as a non-root user"
    used += re.findall(r'"byline", "([\w-]+)"', dockerfile)
    used += re.findall(r"\bbyline ([a-z][\w-]*)", dockerfile)
    for unit in ("byline-web.service", "byline-worker.service"):
        text = (DEPLOY / unit).read_text()
        assert "NoNewPrivileges=true" in text
        assert "ProtectSystem=strict" in text
        [start] = re.findall(r"^ExecStart=\S*/byline ([\w-]+)", text, re.MULTILINE)
        used.append(start)
    assert "serve" in used and "worker" in used
    assert set(used) <= commands, set(used) - commands


# ----- a real nginx -------------------------------------------------------------------------------


class Upstream:
    """Stands in for Byline behind nginx: answers everything and remembers what it was asked."""

    def __init__(self):
        self.requests = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                upstream.requests.append((self.command, self.path, dict(self.headers)))
                body = f"from byline: {self.command} {self.path}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def nginx_mime_types() -> Path:
    version = subprocess.run([NGINX, "-V"], capture_output=True, text=True).stderr
    match = re.search(r"--conf-path=(\S+)", version)
    folder = Path(match.group(1)).parent if match else Path("/etc/nginx")
    return folder / "mime.types"


def shipped_config_for(folder: Path, http_port: int, https_port: int, upstream_port: int) -> str:
    """deploy/nginx.conf with only its folders, ports and upstream changed for this test."""
    config = (DEPLOY / "nginx.conf").read_text()
    replacements = {
        "/var/lib/byline/": f"{folder}/",
        "/etc/letsencrypt/live/example.com/": f"{folder}/tls/",
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
    }
    for old, new in replacements.items():
        assert old in config, f"deploy/nginx.conf no longer has {old!r}: update this test"
        config = config.replace(old, new)
    return config


def main_config(folder: Path, site: Path) -> str:
    temp = folder / "nginx-temp"
    temp.mkdir()
    lines = [
        # As root, nginx's workers would switch to "nobody", who cannot read a private temp folder.
        "user root;" if os.geteuid() == 0 else "",
        f"pid {folder}/nginx.pid;",
        f"error_log {folder}/error.log warn;",
        "worker_processes 1;",
        "events { worker_connections 64; }",
        "http {",
        f"    include {nginx_mime_types()};",
        "    access_log off;",
        *(
            f"    {kind}_temp_path {temp}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        f"    include {site};",
        "}",
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def nginx(tmp_path):
    if NGINX is None:
        pytest.skip("nginx is not installed (make chromium installs it)")
    (tmp_path / "tls").mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
         "-keyout", tmp_path / "tls/privkey.pem", "-out", tmp_path / "tls/fullchain.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    for folder in ("static", "media", f"pages/{HOST}"):
        (tmp_path / folder).mkdir(parents=True)
    upstream = Upstream()
    http_port, https_port = free_port(), free_port()
    site = tmp_path / "byline.conf"
    site.write_text(shipped_config_for(tmp_path, http_port, https_port, upstream.port))
    main = tmp_path / "nginx.conf"
    main.write_text(main_config(tmp_path, site))

    checked = subprocess.run(
        [NGINX, "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen(
        [NGINX, "-c", str(main), "-p", str(tmp_path), "-g", "daemon off;"], stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 10
    while not _listening(https_port):
        assert server.poll() is None, server.stderr.read().decode()
        assert time.monotonic() < deadline, "nginx did not start"
        time.sleep(0.05)
    yield Nginx(tmp_path, http_port, https_port, upstream)
    server.send_signal(signal.SIGQUIT)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    upstream.stop()


def _listening(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Nginx:
    def __init__(self, folder: Path, http_port: int, https_port: int, upstream: Upstream):
        self.folder, self.http_port, self.https_port, self.upstream = folder, http_port, https_port, upstream

    def request(self, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
        tls = ssl.create_default_context()
        tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE  # the test's own self-signed certificate
        conn = http.client.HTTPSConnection("127.0.0.1", self.https_port, context=tls, timeout=10)
        conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        response.body = response.read()
        conn.close()
        return response

    def write_page(self, path: str, body: bytes = STATIC_PAGE) -> None:
        target = self.folder / "pages" / HOST / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def from_file(response) -> bool:
    return response.body == STATIC_PAGE


def test_an_anonymous_get_of_a_written_page_is_served_from_its_file_with_bylines_headers(nginx):
    nginx.write_page("/harbour-reopens/")

    response = nginx.request("GET", "/harbour-reopens/")

    assert response.status == 200
    assert from_file(response)
    assert response.getheader("Content-Type").startswith("text/html")
    assert response.getheader("Content-Security-Policy") == PUBLIC_POLICY
    for name, value in byline_page_headers().items():
        assert response.getheader(name) == value, name
    assert response.getheader("ETag") and response.getheader("Last-Modified")
    assert nginx.upstream.requests == []


def test_the_home_page_file_and_head_requests_are_served_too(nginx):
    nginx.write_page("/")

    assert from_file(nginx.request("GET", "/"))
    head = nginx.request("HEAD", "/")
    assert head.status == 200 and head.body == b""
    assert head.getheader("Content-Security-Policy") == PUBLIC_POLICY
    assert nginx.upstream.requests == []


def test_a_revalidation_of_an_unchanged_file_is_a_304(nginx):
    nginx.write_page("/harbour-reopens/")
    first = nginx.request("GET", "/harbour-reopens/")

    again = nginx.request("GET", "/harbour-reopens/", {"If-None-Match": first.getheader("ETag")})

    assert again.status == 304


@pytest.mark.parametrize(
    "method, path, headers",
    [
        ("GET", "/harbour-reopens/?utm_source=newsletter", {}),
        ("GET", "/harbour-reopens/", {"Cookie": "sessionid=abc"}),
        ("GET", "/harbour-reopens/", {"Cookie": "theme=dark; csrftoken=abc"}),
        ("GET", "/harbour-reopens/", {"Cookie": "messages=abc"}),
        ("POST", "/harbour-reopens/", {"Content-Type": "application/x-www-form-urlencoded"}),
    ],
    ids=["query-string", "session", "csrf-cookie", "messages-cookie", "post"],
)
def test_anything_that_could_be_personal_goes_to_byline_even_when_a_file_exists(nginx, method, path, headers):
    nginx.write_page("/harbour-reopens/")

    response = nginx.request(method, path, headers, body=b"a=1" if method == "POST" else None)

    assert response.body == f"from byline: {method} {path}".encode()
    assert [(m, p) for m, p, _ in nginx.upstream.requests] == [(method, path)]


def test_an_unrelated_cookie_still_gets_the_file(nginx):
    nginx.write_page("/harbour-reopens/")

    assert from_file(nginx.request("GET", "/harbour-reopens/", {"Cookie": "theme=dark"}))


def test_a_page_without_a_file_goes_to_byline_with_the_readers_details(nginx):
    response = nginx.request("GET", "/not-written-yet/", {"X-Forwarded-For": "203.0.113.9"})

    assert response.body == b"from byline: GET /not-written-yet/"
    [(_, _, headers)] = nginx.upstream.requests
    assert headers["Host"] == HOST
    assert headers["X-Forwarded-Proto"] == "https"
    # nginx appends the address it saw, the one BYLINE_TRUSTED_PROXIES=1 makes Byline count.
    assert headers["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"


def test_the_page_index_beside_the_files_is_never_served(nginx):
    (nginx.folder / "pages" / ".byline-pages.sqlite3").write_bytes(b"index")
    (nginx.folder / "pages" / HOST / "secret.txt").write_bytes(b"not a page")

    assert nginx.request("GET", "/.byline-pages.sqlite3").body.startswith(b"from byline")
    assert nginx.request("GET", "/secret.txt").body.startswith(b"from byline")


def test_static_files_are_served_with_a_long_cache_and_media_from_disk(nginx):
    (nginx.folder / "static" / "site.abc123.css").write_text("body { color: black }")
    (nginx.folder / "media" / "original_images").mkdir()
    (nginx.folder / "media" / "original_images" / "quay.txt").write_text("an upload")

    static = nginx.request("GET", "/static/site.abc123.css")
    media = nginx.request("GET", "/media/original_images/quay.txt")

    assert static.status == 200 and static.body == b"body { color: black }"
    assert "immutable" in static.getheader("Cache-Control")
    assert media.status == 200 and media.body == b"an upload"
    assert nginx.upstream.requests == []


def test_healthz_always_reaches_byline(nginx):
    nginx.write_page("/healthz/")

    assert nginx.request("GET", "/healthz").body == b"from byline: GET /healthz"


def test_plain_http_is_redirected_to_https(nginx):
    conn = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=10)
    conn.request("GET", "/harbour-reopens/?x=1", headers={"Host": HOST})
    response = conn.getresponse()

    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/harbour-reopens/?x=1"
