"""The deployment files in deploy/ (docs/DEPLOY.md): the nginx site passes `nginx -t` and, run for real
in front of two stand-in app instances, redirects to HTTPS, passes the headers the app's ProxyFix
setting expects, compresses JSON but not HTML, serves static files with a cache lifetime, and sends
a POST to the other instance when one is down; the systemd units pass `systemd-analyze verify` and
run commands the app has; the environment template names every setting config.py reads, no other."""

from __future__ import annotations

import ast
import gzip
import http.client
import itertools
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask.cli import FlaskGroup

from app import create_app
from config import Config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
OPENSSL = shutil.which("openssl") or ""
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or ""
SITE_NAME = "kndmst.quangngai.gov.vn"
RELEASE = "/opt/kndmst/current"
INSTANCE_PORTS = (8001, 8002)
UNITS = sorted(p.name for p in (DEPLOY / "systemd").iterdir())

needs_nginx = pytest.mark.skipif(
    not NGINX or not OPENSSL,
    reason="nginx or openssl is not installed (apt-get install nginx-light openssl)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the environment template -----------------------------------------------------------------


def _settings_read_by_config() -> set[str]:
    """Names config.py reads from the environment in production: os.environ.get("X"), os.getenv("X"),
    os.environ["X"] and _bool("X"), outside the development and testing classes (FLASK_DEBUG and
    TEST_BASE_URL are not production settings)."""
    tree = ast.parse((ROOT / "config.py").read_text(encoding="utf-8"))
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.ClassDef) and node.name in {"DevelopmentConfig", "TestingConfig"}:
            return
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = ast.unparse(node.func)
            if func in {"os.environ.get", "os.getenv", "_bool"} and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def _env_example() -> dict[str, str | None]:
    """Every KEY=value line of the template, set (value) or commented out (None)."""
    found: dict[str, str | None] = {}
    for line in (DEPLOY / "kndmst.env.example").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            assert match.group(2) not in found, f"{match.group(2)} appears twice in kndmst.env.example"
            found[match.group(2)] = None if match.group(1) else match.group(3)
    return found


def test_env_example_names_every_setting_and_nothing_else():
    read = _settings_read_by_config()
    assert {"SECRET_KEY", "DATABASE_URL", "BASE_URL", "PROXY_FIX_X_FOR"} <= read  # the parser works
    listed = set(_env_example())
    assert sorted(read - listed) == [], "settings config.py reads that kndmst.env.example does not mention"
    assert sorted(listed - read) == [], "kndmst.env.example mentions settings config.py does not read"


def test_env_example_is_safe_as_shipped(monkeypatch):
    """Each variable has a comment; the secret is empty so the app refuses to start until it is set;
    behind the one nginx exactly one proxy is trusted; systemd and a shell read it alike."""
    env = _env_example()
    assert env["APP_ENV"] == "production"
    assert env["SECRET_KEY"] == "", "an example secret would be used as is by someone"
    assert env["PROXY_FIX_X_FOR"] == "1" and env["PROXY_FIX_X_PROTO"] == "1"
    assert (env["BASE_URL"] or "").startswith("https://")
    lines = (DEPLOY / "kndmst.env.example").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if re.fullmatch(r"(#\s*)?[A-Z][A-Z0-9_]*=.*", line.strip()):
            above = lines[number - 1].strip()
            assert above.startswith("#"), f"no comment above {line!r}"
            value = line.split("=", 1)[1]
            if " " in value or "<" in value or "&" in value:
                assert value.startswith('"') and value.endswith('"'), f"{line!r}: quote it for the shell"
    # A shell reads it (docs/DEPLOY.md loads it with `set -a; . FILE`) and the app accepts it once
    # the secret is filled in.
    script = f'set -a; . "{DEPLOY / "kndmst.env.example"}"; set +a; printf "%s" "$MAIL_FROM"'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout == "Sở KH&CN Quảng Ngãi <no-reply@kndmst.quangngai.gov.vn>"
    for name, setting in env.items():
        if setting is not None:
            monkeypatch.setenv(name, setting.strip('"'))
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    from config import load_config

    settings = load_config()
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.PROXY_FIX_X_FOR == 1


# --- systemd units ----------------------------------------------------------------------------


def _unit_lines(name: str, key: str) -> list[str]:
    text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(f"{key}=")]


def test_units_are_the_expected_set():
    assert UNITS == [
        "kndmst-backup.service",
        "kndmst-backup.timer",
        "kndmst-cleanup.service",
        "kndmst-cleanup.timer",
        "kndmst-migrate.service",
        "kndmst-worker.service",
        "kndmst@.service",
        "kndmst@.socket",
    ]
    for name in UNITS:
        if name.endswith(".service"):
            assert _unit_lines(name, "User") == ["kndmst"], name
            assert _unit_lines(name, "EnvironmentFile") == ["/etc/kndmst/kndmst.env"], name
            assert _unit_lines(name, "NoNewPrivileges") == ["yes"], name
            assert _unit_lines(name, "ProtectSystem") == ["strict"], name
            assert _unit_lines(name, "PrivateTmp") == ["yes"], name
            assert _unit_lines(name, "ReadWritePaths"), name
    # Migrations run once, in their own unit, before any instance or worker starts.
    for name in ("kndmst@.service", "kndmst-worker.service"):
        assert "kndmst-migrate.service" in _unit_lines(name, "Requires")[0].split(), name
        assert "kndmst-migrate.service" in _unit_lines(name, "After")[0], name
        assert not any("db upgrade" in line for line in _unit_lines(name, "ExecStartPre")), name
    assert _unit_lines("kndmst-migrate.service", "Type") == ["oneshot"]
    # The instance listens where nginx's upstream looks for it, on a socket systemd holds across
    # restarts, with workers that leave unanswered connections in it (docs/DEPLOY.md §10).
    assert "--bind 127.0.0.1:%i" in _unit_lines("kndmst@.service", "ExecStart")[0]
    assert _unit_lines("kndmst@.socket", "ListenStream") == ["127.0.0.1:%i"]
    assert "kndmst@%i.socket" in _unit_lines("kndmst@.service", "Requires")[0].split()
    assert "--worker-class sync" in _unit_lines("kndmst@.service", "ExecStart")[0]


@pytest.mark.skipif(not SYSTEMD_ANALYZE, reason="systemd-analyze is not installed")
def test_units_pass_systemd_analyze_verify(tmp_path):
    """The units as systemd reads them (with the release path pointed at this checkout, whose .venv
    holds the commands): no unknown key, no bad value, every command executable."""
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8").replace(RELEASE, str(ROOT))
        target = name.replace("kndmst@.", "kndmst@8001.")
        (tmp_path / target).write_text(text, encoding="utf-8")
    files = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *files], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    noise = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if str(tmp_path) in line or "kndmst" in line
    ]
    assert result.returncode == 0 and noise == [], result.stdout + result.stderr


def test_every_unit_command_is_a_command_of_the_app():
    """Each flask command a unit runs exists, with the options it is given (as `flask --app wsgi`
    sees them: the app's commands and Flask-Migrate's `db`)."""
    commands = []
    for name in UNITS:
        for line in _unit_lines(name, "ExecStart"):
            words = line.split()
            assert words[0].startswith(f"{RELEASE}/.venv/bin/"), line
            assert Path(sys.executable).with_name(Path(words[0]).name).exists(), line
            if words[0].endswith("/flask"):
                assert words[1:3] == ["--app", "wsgi"], line
                commands.append(words[3:])
    assert ["db", "upgrade", "heads"] in commands and ["jobs", "worker", "--workers", "2"] in commands
    app = create_app("testing")
    cli = FlaskGroup(create_app=lambda: app)
    runner = app.test_cli_runner()
    for args in commands:
        path = list(itertools.takewhile(lambda word: not word.startswith(("-", "/")), args))
        if path[:2] == ["db", "upgrade"]:
            path = path[:2]  # `heads` is the revision argument
        result = runner.invoke(cli, args=[*path, "--help"])
        assert result.exit_code == 0, f"flask {' '.join(path)}: {result.output}"
        for option in (word for word in args if word.startswith("--")):
            assert option in result.output, f"flask {' '.join(path)} has no option {option}"


# --- nginx ------------------------------------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def _site(folder: Path, *, http_port: int, https_port: int, app_ports: tuple[int, int]) -> Path:
    """The two site files rewritten for a throwaway nginx: temporary certificate, logs and ports,
    the static folder of this checkout, and the same server name as in production."""
    cert, key = _self_signed(folder)
    (folder / "acme").mkdir()
    sites = folder / "sites"
    sites.mkdir()
    for name in ("kndmst-http.conf", "kndmst.conf"):
        text = (DEPLOY / "nginx" / name).read_text(encoding="utf-8")
        text = text.replace(f"/etc/letsencrypt/live/{SITE_NAME}/fullchain.pem", str(cert))
        text = text.replace(f"/etc/letsencrypt/live/{SITE_NAME}/privkey.pem", str(key))
        text = text.replace("/var/log/nginx/", f"{folder}/")
        text = text.replace("/var/www/letsencrypt", str(folder / "acme"))
        text = text.replace(f"{RELEASE}/static/", f"{ROOT}/static/")
        text = text.replace("listen 80", f"listen {http_port}").replace(
            "listen [::]:80", f"listen [::]:{http_port}"
        )
        text = text.replace("listen 443", f"listen {https_port}").replace(
            "listen [::]:443", f"listen [::]:{https_port}"
        )
        text = re.sub(r"^\s*listen \[::\].*$", "", text, flags=re.M)  # no IPv6 in every container
        text = text.replace(f"127.0.0.1:{INSTANCE_PORTS[0]}", f"127.0.0.1:{app_ports[0]}")
        text = text.replace(f"127.0.0.1:{INSTANCE_PORTS[1]}", f"127.0.0.1:{app_ports[1]}")
        (sites / name).write_text(text, encoding="utf-8")
    temp = "".join(
        f"    {kind}_temp_path {folder}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\nworker_processes 1;\n"
        + "events { worker_connections 256; }\n"
        + "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        + f"    access_log {folder}/access.log;\n    gzip on;\n{temp}    include {sites}/*.conf;\n}}\n",
        encoding="utf-8",
    )  # `gzip on` at the top as in Debian's /etc/nginx/nginx.conf
    return main


@needs_nginx
def test_nginx_accepts_the_site(tmp_path):
    main = _site(tmp_path, http_port=80, https_port=443, app_ports=INSTANCE_PORTS)
    result = subprocess.run(
        [NGINX, "-t", "-q", "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_site_matches_the_app_settings(monkeypatch):
    monkeypatch.delenv("MAX_CONTENT_LENGTH", raising=False)
    site = (DEPLOY / "nginx" / "kndmst.conf").read_text(encoding="utf-8")
    size = re.search(r"client_max_body_size (\d+)m;", site)
    assert size and int(size.group(1)) * 1024 * 1024 == Config().MAX_CONTENT_LENGTH
    for port in INSTANCE_PORTS:
        assert f"server 127.0.0.1:{port} " in site
    for header in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme", "Host $host",
                   "X-Request-ID $request_id"):  # fmt: skip
        assert f"proxy_set_header {header};" in site
    assert f"alias {RELEASE}/static/;" in site
    assert "$request " not in site and "$request_uri" not in site and "$args" not in site  # no paths logged


class _Upstream(ThreadingHTTPServer):
    daemon_threads = True


def _start_upstream(port: int, name: str) -> _Upstream:
    """A stand-in app instance: answers with the headers it received (JSON under /api/, HTML else)."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = {"instance": name, "method": self.command, "path": self.path, "body": len(body),
                    "headers": {k.lower(): v for k, v in self.headers.items()}}  # fmt: skip
            padding = "x" * 4000  # big enough to be worth compressing
            if self.path.startswith("/api/"):
                payload = json.dumps({**seen, "padding": padding}).encode()
                kind = "application/json"
            else:
                payload = f"<!doctype html><p>{json.dumps(seen)}</p><p>{padding}</p>".encode()
                kind = "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Strict-Transport-Security", "max-age=31536000")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    server = _Upstream(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _request(port, method, path, *, body=None, headers=None, tls=True, sni=SITE_NAME):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    if tls:  # the production name in SNI too: nginx refuses a handshake for any other name
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        conn.sock = context.wrap_socket(raw, server_hostname=sni)
    conn.request(method, path, body=body, headers={"Host": SITE_NAME, **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


@pytest.fixture
def running_site(tmp_path):
    """nginx with the site in front of two stand-in instances; yields the ports and the upstreams."""
    http_port, https_port, app_a, app_b = (_free_port() for _ in range(4))
    main = _site(tmp_path, http_port=http_port, https_port=https_port, app_ports=(app_a, app_b))
    upstreams = {"a": _start_upstream(app_a, "a"), "b": _start_upstream(app_b, "b")}
    subprocess.run([NGINX, "-c", str(main), "-e", str(tmp_path / "error.log")], check=True, timeout=30)
    pid_file = tmp_path / "nginx.pid"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield {"http": http_port, "https": https_port, "upstreams": upstreams}
    finally:
        subprocess.run([NGINX, "-c", str(main), "-e", str(tmp_path / "error.log"), "-s", "quit"], timeout=30)
        for _ in range(100):
            if not pid_file.exists():
                break
            time.sleep(0.05)
        for server in upstreams.values():
            server.shutdown()
            server.server_close()


@needs_nginx
def test_site_in_front_of_two_instances(running_site):
    ports = running_site
    # Port 80 sends everyone to HTTPS, on the production name.
    response, _ = _request(ports["http"], "GET", "/su-kien?x=1", tls=False)
    assert response.status == 301
    assert response.getheader("Location") == f"https://{SITE_NAME}/su-kien?x=1"
    # Another name on port 80 gets no answer at all (nginx's 444 closes the connection).
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        _request(ports["http"], "GET", "/", headers={"Host": "203.0.113.9"}, tls=False)

    # Another name on 443 (or none, as when someone types the server's address) gets no certificate.
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        _request(ports["https"], "GET", "/", sni="203.0.113.9.nip.io")

    # The app sees what ProxyFix with PROXY_FIX_X_FOR=1 / PROXY_FIX_X_PROTO=1 expects: the client's
    # address as the last X-Forwarded-For entry (a forged first entry stays first), https, the
    # public host, and a request id.
    response, data = _request(ports["https"], "GET", "/", headers={"X-Forwarded-For": "6.6.6.6"})
    assert response.status == 200
    seen = json.loads(data.decode().split("<p>")[1].split("</p>")[0])
    assert seen["headers"]["x-forwarded-for"] == "6.6.6.6, 127.0.0.1"
    assert seen["headers"]["x-forwarded-proto"] == "https"
    assert seen["headers"]["host"] == SITE_NAME
    assert re.fullmatch(r"[0-9a-f]{32}", seen["headers"]["x-request-id"])
    # One HSTS header, not two; HTML never compressed (BREACH), JSON compressed.
    assert response.headers.get_all("Strict-Transport-Security") == ["max-age=31536000"]
    response, data = _request(ports["https"], "GET", "/", headers={"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") is None and data.startswith(b"<!doctype html>")
    response, data = _request(
        ports["https"], "GET", "/api/v1/events/x/stats", headers={"Accept-Encoding": "gzip"}
    )
    assert response.getheader("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(data))["path"] == "/api/v1/events/x/stats"

    # Static files come from the release's static/ folder, kept an hour, compressed.
    response, data = _request(
        ports["https"], "GET", "/static/css/app.css", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status == 200
    assert response.getheader("Cache-Control") == "max-age=3600"
    assert gzip.decompress(data) == (ROOT / "static" / "css" / "app.css").read_bytes()

    # A dossier-sized upload passes; one past the app's limit is refused by nginx already.
    limit = Config().MAX_CONTENT_LENGTH
    response, data = _request(ports["https"], "POST", "/nop", body=b"x" * (5 * 1024 * 1024))
    assert response.status == 200 and '"body": 5242880' in data.decode()
    response, _ = _request(ports["https"], "POST", "/nop", body=b"x" * (limit + 1))
    assert response.status == 413

    # Both instances take requests.
    names = set()
    for _ in range(6):
        response, data = _request(ports["https"], "GET", "/api/ping")
        names.add(json.loads(data)["instance"])
    assert names == {"a", "b"}


@needs_nginx
def test_a_stopped_instance_loses_no_request(running_site):
    """An upgrade restarts one instance: its port closes, and every request — POSTs included —
    is answered by the other one."""
    server = running_site["upstreams"]["a"]
    server.shutdown()
    server.server_close()
    for number in range(20):
        response, data = _request(
            running_site["https"], "POST", f"/api/v1/events/x/checkins?n={number}", body=b"{}"
        )
        assert response.status == 200, data
        assert json.loads(data)["instance"] == "b"
