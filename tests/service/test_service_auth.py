"""Authentication: CDS Hooks client JWTs (RS384, ES384) checked against a JWKS file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from test_service import problem_of

import healthkb
from support.client_tokens import ISSUER, PROFILE, Keys, bearer, token
from support.fhir_data import bundle, hook_request, questionnaire_response
from support.service_process import Server, running, running_at_known_url


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def audit_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("auth") / "audit.jsonl"


@pytest.fixture(scope="module")
def server(
    keys: Keys, audit_log: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    jwks = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    arguments = ("--auth-jwks", jwks, "--auth-issuer", ISSUER, "--audit-log", audit_log)
    with running_at_known_url(*arguments) as started:
        yield started


def test_valid_rs384_and_es384_tokens_are_accepted(server: Server, keys: Keys) -> None:
    url = server.url + "/evaluate"
    with server.client() as client:
        for algorithm, kid in (("RS384", "rsa-1"), ("ES384", "ec-1")):
            sent = token(keys, url, algorithm=algorithm, kid=kid)
            assert client.post("/evaluate", json=PROFILE, headers=bearer(sent)).status_code == 200


def test_the_hook_takes_a_token_for_its_own_url(
    server: Server, keys: Keys, kb: healthkb.KnowledgeBase
) -> None:
    path = f"/cds-services/{kb.id}"
    request = hook_request({"questionnaireResponses": bundle(questionnaire_response(kb, PROFILE))})
    with server.client() as client:
        sent = bearer(token(keys, server.url + path))
        assert client.post(path, json=request, headers=sent).status_code == 200
        other = bearer(token(keys, server.url + "/evaluate"))
        problem_of(client.post(path, json=request, headers=other), 401)


def _refused(server: Server, keys: Keys) -> dict[str, dict[str, str]]:
    url = server.url + "/evaluate"
    hs256 = jwt.encode(
        {"iss": ISSUER, "aud": url, "exp": int(time.time()) + 60, "jti": "x"},
        "a shared secret of thirty-two bytes!",
        algorithm="HS256",
    )
    return {
        "no token": {},
        "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
        "not a jwt": bearer("not-a-jwt"),
        "unknown key": bearer(token(keys, url, key=keys.stranger, kid="rsa-9")),
        "forged signature": bearer(token(keys, url, key=keys.stranger)),
        "HS256": bearer(hs256),
        "other issuer": bearer(token(keys, url, iss="https://elsewhere.example")),
        "other audience": bearer(token(keys, "https://another.example/evaluate")),
        "expired": bearer(token(keys, url, exp=int(time.time()) - 120)),
        "lives too long": bearer(token(keys, url, exp=int(time.time()) + 3600)),
        "no jti": bearer(token(keys, url, jti=None)),
    }


def test_bad_tokens_get_401_and_nothing_is_evaluated_or_logged(
    server: Server, keys: Keys, audit_log: Path
) -> None:
    before = audit_log.read_bytes() if audit_log.exists() else b""
    with server.client() as client:
        for why, headers in _refused(server, keys).items():
            response = client.post("/evaluate", json=PROFILE, headers=headers)
            document = problem_of(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer"), why
            assert document["type"] == "urn:healthkb:problem:unauthorized", why
    after = audit_log.read_bytes() if audit_log.exists() else b""
    assert after == before


def test_a_token_is_used_once(server: Server, keys: Keys) -> None:
    sent = bearer(token(keys, server.url + "/evaluate"))
    with server.client() as client:
        assert client.post("/evaluate", json=PROFILE, headers=sent).status_code == 200
        document = problem_of(client.post("/evaluate", json=PROFILE, headers=sent), 401)
        assert "used before" in str(document["detail"])


def test_health_stays_open_and_the_rest_is_closed(server: Server) -> None:
    with server.client() as client:
        assert client.get("/health").status_code == 200
        assert client.get("/openapi.json").status_code == 200
        # The playground's page and files hold no KB data; the source texts are the KB's.
        assert client.get("/").status_code == 200
        assert client.get("/playground/main.js").status_code == 200
        for path in ("/kb", "/cds-services", "/fhir/Questionnaire", "/sources/any"):
            problem_of(client.get(path), 401)


def test_without_auth_jwks_no_token_is_needed() -> None:
    with running() as server, server.client() as client:
        assert client.post("/evaluate", json=PROFILE).status_code == 200


def serve(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "healthkb", "serve", "--port", "0", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_public_address_without_auth_is_refused_and_says_why() -> None:
    finished = serve("--host", "0.0.0.0")
    assert finished.returncode == 2
    assert "refusing to listen on 0.0.0.0 without authentication" in finished.stderr
    assert "--insecure" in finished.stderr


def test_auth_setup_errors_are_clear(tmp_path: Path) -> None:
    url = ("--public-url", "https://cds.example.org")
    missing = serve("--auth-jwks", str(tmp_path / "none.json"), "--auth-issuer", ISSUER, *url)
    assert missing.returncode == 2 and "cannot read the JWKS file" in missing.stderr
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    empty = serve("--auth-jwks", str(jwks), "--auth-issuer", ISSUER, *url)
    assert empty.returncode == 2 and "JWKS" in empty.stderr
    jwks.write_text(json.dumps(Keys().jwks()))
    no_issuer = serve("--auth-jwks", str(jwks), *url)
    assert no_issuer.returncode == 2 and "--auth-issuer" in no_issuer.stderr


def test_which_addresses_need_auth_or_insecure() -> None:
    from healthkb.service.server import ServeError, check_exposure, is_loopback
    from healthkb.service.settings import Settings

    assert [is_loopback(h) for h in ("127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost")] == [
        True
    ] * 5
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.org"))
    check_exposure("0.0.0.0", Settings(), insecure=True)  # the operator said so
    check_exposure("10.0.0.1", Settings(auth_jwks="jwks.json", auth_issuers=(ISSUER,)), False)
    with pytest.raises(ServeError, match="refusing to listen on ::"):
        check_exposure("::", Settings(), insecure=False)


def test_a_token_replayed_to_another_worker_is_refused(keys: Keys, tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    arguments = ("--workers", "2", "--auth-jwks", jwks, "--auth-issuer", ISSUER)
    with running_at_known_url(*arguments) as started:
        sent = bearer(token(keys, started.url + "/evaluate"))
        statuses: dict[int, list[int]] = {}
        # A new connection each time, until both workers answered the token at least
        # twice (on a loaded machine one worker may win many accepts in a row).
        for _ in range(200):
            with started.client() as client:
                worker = client.get("/health").json()["worker"]
                status = client.post("/evaluate", json=PROFILE, headers=sent).status_code
                statuses.setdefault(worker, []).append(status)
            if len(statuses) == 2 and all(len(s) >= 2 for s in statuses.values()):
                break
    assert len(statuses) == 2, "every call went to one worker: the test proves nothing"
    every = sorted(status for answered in statuses.values() for status in answered)
    assert every == [200] + [401] * (len(every) - 1)


def test_workers_share_the_ids_of_the_tokens_they_accepted(keys: Keys, tmp_path: Path) -> None:
    from healthkb.service.auth import FORGET_EVERY, TokenVerifier
    from healthkb.service.problems import ServiceProblem

    key_set = jwt.PyJWKSet.from_dict(keys.jwks())
    first, second = (TokenVerifier(key_set, (ISSUER,), tmp_path) for _ in range(2))
    audience = "http://127.0.0.1/evaluate"
    sent = f"Bearer {token(keys, audience)}"
    assert first.verify(sent, audience)["iss"] == ISSUER
    with pytest.raises(ServiceProblem, match="used before"):
        second.verify(sent, audience)
    # The ids of expired tokens are swept out of the folder as tokens keep coming.
    (expired,) = tmp_path.iterdir()
    os.utime(expired, (time.time() - 3600, time.time() - 3600))
    for _ in range(FORGET_EVERY):
        second.verify(f"Bearer {token(keys, audience)}", audience)
    remembered = list(tmp_path.iterdir())
    assert expired not in remembered and len(remembered) == FORGET_EVERY
