"""Client JWTs per the CDS Hooks security rules, one test per rule; every token problem,
whatever raises it, is a 401 and never a 5xx (issues 17 and 19)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from test_service import problem_of
from test_service_auth import serve

import healthkb
from healthkb.service.auth import TokenVerifier
from healthkb.service.problems import ServiceProblem
from support.client_tokens import ISSUER, PROFILE, Keys, bearer, token, unsigned
from support.service_process import Server, running_at_known_url


class KeySetServer:
    """A JWKS served over HTTP on loopback (a client's `jku`), counting the fetches."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP384R1())
        public = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        body = json.dumps({"keys": [{**public, "kid": "jku-1", "alg": "ES384"}]}).encode()
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def key_set_server() -> Iterator[KeySetServer]:
    started = KeySetServer()
    yield started
    started.close()


@pytest.fixture(scope="module")
def server(
    keys: Keys, key_set_server: KeySetServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    jwks = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    arguments = ("--auth-jwks", jwks, "--auth-issuer", ISSUER, "--auth-jku", key_set_server.url)
    with running_at_known_url(*arguments) as started:
        yield started


def evaluate_with(server: Server, sent: str, **headers: str) -> Any:
    with server.client() as client:
        return client.post("/evaluate", json=PROFILE, headers={**bearer(sent), **headers})


def refused(server: Server, sent: str) -> str:
    """The detail of the 401 a token gets on /evaluate."""
    return str(problem_of(evaluate_with(server, sent), 401)["detail"])


def test_alg_that_does_not_fit_the_key_type_is_401_not_500(server: Server) -> None:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": server.url + "/evaluate", "iat": now, "exp": now + 60}
    claims["jti"] = "rs384-with-an-ec-key"
    sent = unsigned({"alg": "RS384", "typ": "JWT", "kid": "ec-1"}, claims)
    assert "is not a key for RS384" in refused(server, sent)


def test_a_validly_signed_token_with_exp_as_text_is_401(server: Server, keys: Keys) -> None:
    sent = token(keys, server.url + "/evaluate", exp=str(int(time.time()) + 60))
    assert "`exp` must be a number" in refused(server, sent)


def test_a_token_without_iat_is_401(server: Server, keys: Keys) -> None:
    sent = token(keys, server.url + "/evaluate", iat=None)
    assert "`iat` must be a number" in refused(server, sent)
    later = token(keys, server.url + "/evaluate", iat=int(time.time()) + 600)
    assert "not yet valid (iat)" in refused(server, later)


def test_a_token_without_kid_is_401_even_when_the_jwks_has_one_key(keys: Keys) -> None:
    one_key = jwt.PyJWKSet.from_dict({"keys": keys.jwks()["keys"][:1]})
    verifier = TokenVerifier(one_key, (ISSUER,))
    audience = "https://cds.example.org/evaluate"
    with pytest.raises(ServiceProblem, match="no `kid`") as caught:
        verifier.verify("Bearer " + token(keys, audience, kid=None), audience)
    assert caught.value.status == 401
    assert verifier.verify("Bearer " + token(keys, audience), audience)["iss"] == ISSUER


@pytest.mark.parametrize("typ", [None, "at+jwt", "JOSE"])
def test_a_token_whose_typ_is_not_jwt_is_401(server: Server, keys: Keys, typ: str | None) -> None:
    sent = token(keys, server.url + "/evaluate", headers={"typ": typ})
    assert "must say `typ: JWT`" in refused(server, sent)


@pytest.mark.parametrize("jti", ["", "   ", "x" * 257, 12345])
def test_an_empty_long_or_non_text_jti_is_401(server: Server, keys: Keys, jti: Any) -> None:
    sent = token(keys, server.url + "/evaluate", jti=jti)
    assert "`jti` must be a unique id of 1 to 256 characters" in refused(server, sent)


def test_a_token_over_8_kb_is_refused_unread(server: Server, keys: Keys) -> None:
    sent = token(keys, server.url + "/evaluate", padding="x" * 9000)
    assert "at most 8,192 are accepted" in refused(server, sent)


def test_the_audience_is_the_public_url_never_the_host_header(server: Server, keys: Keys) -> None:
    # A token minted for another service, sent with that service's Host: refused.
    other = token(keys, "https://other.example.org/evaluate")
    forwarded = {"Host": "other.example.org", "X-Forwarded-Proto": "https"}
    problem_of(evaluate_with(server, other, **forwarded), 401)
    # A token for this service's public URL holds whatever Host the client sends.
    mine = token(keys, server.url + "/evaluate")
    assert evaluate_with(server, mine, Host="elsewhere.example").status_code == 200


def test_serve_refuses_auth_jwks_without_public_url(tmp_path: Path, keys: Keys) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    finished = serve("--auth-jwks", str(jwks), "--auth-issuer", ISSUER)
    assert finished.returncode == 2
    assert "--auth-jwks needs --public-url URL" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_jku_that_is_not_allow_listed_is_401(server: Server, keys: Keys) -> None:
    sent = token(keys, server.url + "/evaluate", headers={"jku": "https://evil.example/k.json"})
    assert "is not a key set this service trusts" in refused(server, sent)


def test_an_allow_listed_jku_key_set_is_fetched_once_and_cached(
    server: Server, key_set_server: KeySetServer
) -> None:
    def signed() -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": server.url + "/evaluate", "iat": now, "exp": now + 60}
        claims["jti"] = f"jku-{time.monotonic_ns()}"
        header = {"kid": "jku-1", "typ": "JWT", "jku": key_set_server.url}
        return jwt.encode(claims, key_set_server.key, algorithm="ES384", headers=header)

    before = key_set_server.fetches
    for _ in range(3):
        assert evaluate_with(server, signed()).status_code == 200
    assert key_set_server.fetches - before == 1
    # A kid the set lacks: refused, and the set is not fetched again at once.
    unknown = jwt.encode(
        {"iss": ISSUER, "aud": server.url + "/evaluate", "iat": int(time.time())},
        key_set_server.key,
        algorithm="ES384",
        headers={"kid": "jku-2", "typ": "JWT", "jku": key_set_server.url},
    )
    problem_of(evaluate_with(server, unknown), 401)
    assert key_set_server.fetches - before == 1


def test_protected_paths_answer_401_before_404(
    server: Server, keys: Keys, kb: healthkb.KnowledgeBase
) -> None:
    with server.client() as client:
        problem_of(client.post("/cds-services/no-such-service", json={}), 401)
        problem_of(client.post("/cds-services/no-such-service/feedback", json={}), 401)
        problem_of(client.get("/no/such/path"), 401)
        problem_of(client.delete("/evaluate"), 401)
        path = "/cds-services/no-such-service"
        with_token = bearer(token(keys, server.url + path))
        problem_of(client.post(path, json={}, headers=with_token), 404)
        assert client.head("/health").status_code == 200


def test_openapi_declares_the_bearer_scheme_and_not_the_profile_schema(
    server: Server, kb: healthkb.KnowledgeBase
) -> None:
    with server.client() as client:
        document = client.get("/openapi.json").json()
    scheme = document["components"]["securitySchemes"]["cdsHooksJwt"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    for path, operations in document["paths"].items():
        for operation in operations.values():
            # A card's explanation link is opened in a browser: no token; nor the
            # playground's page (it holds no KB data, and asks for a token itself).
            public = ("/health", "/explanation", "/")
            expected = [] if path in public else [{"cdsHooksJwt": []}]
            assert operation.get("security", []) == expected, path
    schemas = document["components"]["schemas"]
    assert schemas["Profile"] == {
        "type": "object",
        "title": "Profile",
        "description": "A person's profile; its schema is in GET /kb (with a token).",
    }
    facts = json.dumps(schemas)
    for fact in ("RunningFact", "sessions_per_week"):
        assert fact not in facts


def test_any_error_while_checking_a_token_is_a_401(
    keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = TokenVerifier(jwt.PyJWKSet.from_dict(keys.jwks()), (ISSUER,))
    audience = "https://cds.example.org/evaluate"

    def broken(*args: Any, **options: Any) -> Any:
        raise TypeError("a library bug")

    sent = "Bearer " + token(keys, audience)
    monkeypatch.setattr(jwt, "decode", broken)
    with pytest.raises(ServiceProblem, match=r"could not be checked \(TypeError\)") as caught:
        verifier.verify(sent, audience)
    assert caught.value.status == 401


def test_alg_none_and_algorithm_confusion_are_401(server: Server, keys: Keys) -> None:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": server.url + "/evaluate", "iat": now, "exp": now + 60}
    none = unsigned({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, {**claims, "jti": "n"})
    assert "signed with 'none'" in refused(server, none.rsplit(".", 1)[0] + ".")
    # HS384 keyed with the RSA public key's PEM: the classic confusion attack.
    pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS384", "typ": "JWT", "kid": "rsa-1"}
    body = {**claims, "jti": "confused"}
    signing_input = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in (header, body)
    )
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha384).digest()
    confused = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert "signed with 'HS384'" in refused(server, confused)
