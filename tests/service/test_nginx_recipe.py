"""docs/service.md's nginx recipe, run: Debian's nginx in front of a real service.

The doc's folder commands run (in a temporary root), its site is served as written
except for what a test must change (the ports, the certificate: a throwaway one, the
folders), and requests go through it over TLS: answers from the service, nginx's own
413 as the service's problem document. Skipped only where nginx is not installed
(`.ci/run` installs Debian's).
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support.service_process import running

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def recipe() -> tuple[str, str]:
    """The recipe's folder commands (```sh) and its site (```nginx), as the doc has them."""
    text = (ROOT / "docs" / "service.md").read_text(encoding="utf-8")
    section = text.split("A minimal nginx site.", 1)[1]
    shell = re.search(r"```sh\n(.*?)```", section, re.S)
    site = re.search(r"```nginx\n(.*?)```", section, re.S)
    assert shell is not None and site is not None
    return shell.group(1), site.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cds.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    pem, private = folder / "cds.pem", folder / "cds.key"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pem, private


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """The doc's folder commands, run in a temporary root (ownership left out)."""
    shell, _ = recipe()
    commands = re.sub(r"-o \S+ -g \S+ ", "", shell).replace(" /", f" {tmp_path}/")
    subprocess.run(["bash", "-euc", commands], check=True)
    return tmp_path


@pytest.fixture()
def proxied(root: Path) -> Iterator[str]:
    audit_folder = root / "var" / "lib" / "healthkb"
    assert audit_folder.is_dir(), "the recipe creates the audit log's folder"
    assert (root / "var" / "log" / "nginx").is_dir()
    with running("--audit-log", audit_folder / "audit.jsonl") as server:
        port = free_port()
        pem, key = certificate(root)
        _, site = recipe()
        site = (
            site.replace("127.0.0.1:8000", server.url.removeprefix("http://"))
            .replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
            .replace("/etc/ssl/cds.example.org.pem", str(pem))
            .replace("/etc/ssl/cds.example.org.key", str(key))
        )
        temporary = root / "nginx-temp"
        temporary.mkdir()
        user = "user root;\n" if os.geteuid() == 0 else ""
        configuration = root / "nginx.conf"
        configuration.write_text(
            f"{user}worker_processes 1;\npid {root}/nginx.pid;\n"
            f"error_log {root}/var/log/nginx/error.log;\nevents {{}}\n"
            f"http {{\n access_log {root}/var/log/nginx/access.log;\n"
            f" client_body_temp_path {temporary}/body;\n proxy_temp_path {temporary}/proxy;\n"
            f" fastcgi_temp_path {temporary}/fastcgi;\n uwsgi_temp_path {temporary}/uwsgi;\n"
            f" scgi_temp_path {temporary}/scgi;\n{site}\n}}\n",
            encoding="utf-8",
        )
        assert NGINX is not None
        command = [NGINX, "-p", str(root), "-c", str(configuration), "-g", "daemon off;"]
        checked = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        try:
            url = f"https://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(url + "/health", verify=False, timeout=2)
                    break
                except httpx.TransportError:
                    assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.1)
            yield url
        finally:
            nginx.terminate()
            nginx.wait(20)


def test_the_recipe_proxies_to_the_service_over_tls(proxied: str) -> None:
    with httpx.Client(base_url=proxied, verify=False, timeout=30) as client:
        answers = [client.get("/health") for _ in range(5)]
        assert {a.status_code for a in answers} == {200}
        evaluated = client.post("/evaluate", json={"running": {"intensity": "high"}})
        assert evaluated.status_code == 200, evaluated.text
        assert evaluated.headers["healthkb-audit-record"]


def test_nginxs_own_413_is_the_services_problem_document(proxied: str) -> None:
    body = b'{"running": {}, "padding": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    with httpx.Client(base_url=proxied, verify=False, timeout=30) as client:
        refused = client.post(
            "/evaluate", content=body, headers={"Content-Type": "application/json"}
        )
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "urn:healthkb:problem:body-too-large"
    assert problem["status"] == 413
    assert "refused by the proxy" in problem["detail"]  # nginx's answer, not the service's


def test_the_recipe_keeps_upstream_connections_alive() -> None:
    _, site = recipe()
    assert re.search(r"upstream healthkb \{[^}]*keepalive \d+;", site)
    assert "proxy_http_version 1.1;" in site
    assert 'proxy_set_header Connection "";' in site
