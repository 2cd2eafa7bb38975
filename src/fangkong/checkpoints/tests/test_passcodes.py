"""Personal pass codes: valid, tampered, truncated, signed by another key,
revoked after a reissue, verified with the public key alone."""

from __future__ import annotations

import base64
import datetime
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fangkong.checkpoints import passcodes, printing, providers, services
from fangkong.checkpoints.passcodes import Claims, PassCodeError
from fangkong.core.errors import FieldError
from fangkong.core.testing import SYSTEM, settings_at_start

from .support import body, post

ISSUED = datetime.date(2021, 8, 9)


def test_it_round_trips_the_claims():
    code = passcodes.sign(123456, 3, ISSUED)
    assert passcodes.read(code) == Claims(123456, 3, ISSUED)


def test_it_is_short_enough_for_a_version_5_qr_symbol():
    code = passcodes.sign(passcodes.MAX_PERSON_ID, passcodes.MAX_VERSION, ISSUED)
    assert len(code) == passcodes.CODE_LENGTH == 119
    assert code.isalnum() and code == code.upper()
    symbol = printing.qr(code)
    assert symbol.version <= 5
    assert symbol.mode == "alphanumeric"


def test_it_accepts_what_a_scanner_types_with_noise():
    code = passcodes.sign(42, 1, ISSUED)
    assert passcodes.read(f" {code.lower()}\n").person_id == 42


def test_it_refuses_a_tampered_code():
    code = passcodes.sign(42, 1, ISSUED)
    # Claim another person: change a character of the person-id part.
    forged = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    with pytest.raises(PassCodeError) as raised:
        passcodes.read(forged)
    assert raised.value.reason == "invalid"
    # Or flip a character of the signature.
    forged = code[:-5] + ("A" if code[-5] != "A" else "B") + code[-4:]
    with pytest.raises(PassCodeError):
        passcodes.read(forged)


def test_it_accepts_only_one_spelling_of_a_code():
    code = passcodes.sign(42, 1, ISSUED)
    # The last character holds one bit and four zero bits of padding.
    other_spelling = code[:-1] + {"A": "B", "Q": "R"}[code[-1]]
    with pytest.raises(PassCodeError):
        passcodes.read(other_spelling)


@pytest.mark.parametrize("cut", [1, 10, 60])
def test_it_refuses_a_truncated_code(cut):
    code = passcodes.sign(42, 1, ISSUED)
    with pytest.raises(PassCodeError) as raised:
        passcodes.read(code[:-cut])
    assert raised.value.reason == "invalid"


@pytest.mark.parametrize("garbage", ["", "FK1", "hello", "FK1" + "1" * 116, "410102198001011234"])
def test_it_refuses_garbage(garbage):
    with pytest.raises(PassCodeError):
        passcodes.read(garbage)


def test_it_refuses_a_code_signed_by_another_key():
    other = Ed25519PrivateKey.generate()
    code = passcodes.encode(other, Claims(42, 1, ISSUED))
    with pytest.raises(PassCodeError) as raised:
        passcodes.read(code)
    assert raised.value.reason == "invalid"


def test_it_verifies_with_the_public_key_alone(client):
    """A gate device gets the public key from the API and verifies offline."""
    code = passcodes.sign(42, 7, ISSUED)
    served = client.get("/api/v1/checkpoints/public-key")
    assert served.status_code == 200
    assert served.json()["algorithm"] == "Ed25519"
    public_key = base64.b64decode(served.json()["public_key"])
    assert len(public_key) == 32
    assert passcodes.verify_with_public_key(code, public_key) == Claims(42, 7, ISSUED)
    with pytest.raises(PassCodeError):
        passcodes.verify_with_public_key(code[:-9] + "A" * 9, public_key)
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(PassCodeError):
        passcodes.verify_with_public_key(code, other)


def development_key(secret_key: str) -> str:
    """The pass-code key settings.py derives when none is configured."""
    seed = hashlib.sha256(b"fangkong pass code development key\x00" + secret_key.encode())
    return base64.b64encode(seed.digest()).decode()


def test_it_derives_the_development_key_from_the_secret_key(settings, tmp_path):
    from fangkong import settings as project_settings

    assert settings.FANGKONG_PASS_CODE_KEY == project_settings.FANGKONG_PASS_CODE_KEY
    assert len(base64.b64decode(settings.FANGKONG_PASS_CODE_KEY)) == 32
    # The tests run without a configured key: theirs comes from SECRET_KEY.
    assert development_key(settings.SECRET_KEY) == settings.FANGKONG_PASS_CODE_KEY

    keys = {}
    for secret in ("one-development-secret", "another-development-secret"):
        started = settings_at_start(
            "FANGKONG_PASS_CODE_KEY",
            tmp_path,
            SECRET_KEY=secret,
            FANGKONG_TESTING="1",
            FANGKONG_PASS_CODE_KEY=None,
        )
        assert started.returncode == 0, started.stderr
        keys[secret] = started.stdout.strip()
        assert keys[secret] == development_key(secret)
    # Another SECRET_KEY, another key: codes of one installation do not
    # pass at another's gates.
    assert len(set(keys.values())) == 2
    # In production nothing is derived: without its own key it does not start.
    production = settings_at_start(
        "FANGKONG_PASS_CODE_KEY",
        tmp_path,
        SECRET_KEY="a-production-secret",
        FANGKONG_TESTING=None,
        DEBUG=None,
        FANGKONG_PASS_CODE_KEY=None,
    )
    assert production.returncode != 0
    assert "FANGKONG_PASS_CODE_KEY must be set" in production.stderr


def test_it_follows_the_configured_key(settings):
    before = passcodes.sign(42, 1, ISSUED)
    settings.FANGKONG_PASS_CODE_KEY = base64.b64encode(bytes(range(32))).decode()
    with pytest.raises(PassCodeError):
        passcodes.read(before)
    assert passcodes.read(passcodes.sign(42, 1, ISSUED)).person_id == 42


def test_it_revokes_the_old_code_after_a_reissue(resident):
    first = services.code_for(services.issue_pass_code(SYSTEM, resident))
    assert providers.person_id_from_pass_code(first) == resident.pk
    # Issuing again without reissue keeps the same code.
    assert services.code_for(services.issue_pass_code(SYSTEM, resident)) == first
    second = services.code_for(services.issue_pass_code(SYSTEM, resident, reissue=True))
    assert second != first
    assert providers.person_id_from_pass_code(second) == resident.pk
    with pytest.raises(FieldError) as raised:
        providers.person_id_from_pass_code(first)
    assert raised.value.field == "code"
    assert "revoked" in str(raised.value) or "作废" in str(raised.value)


def test_it_tells_invalid_codes_from_revoked_ones_to_other_apps(resident):
    with pytest.raises(FieldError) as invalid:
        providers.person_id_from_pass_code("FK1NOTACODE")
    # A well-signed code for someone who was never issued one is invalid too.
    with pytest.raises(FieldError) as never_issued:
        providers.person_id_from_pass_code(passcodes.sign(resident.pk, 1, ISSUED))
    assert str(invalid.value) == str(never_issued.value)
    services.issue_pass_code(SYSTEM, resident)
    old = services.code_for(services.issue_pass_code(SYSTEM, resident))
    services.issue_pass_code(SYSTEM, resident, reissue=True)
    with pytest.raises(FieldError) as revoked:
        providers.person_id_from_pass_code(old)
    assert str(revoked.value) != str(invalid.value)


def test_it_denies_a_revoked_code_at_the_gate_with_its_own_reason(
    scanner_client, north_gate, resident
):
    old = services.code_for(services.issue_pass_code(SYSTEM, resident))
    new = services.code_for(services.issue_pass_code(SYSTEM, resident, reissue=True))
    answer = post(scanner_client, north_gate, body(code=old)).json()
    assert answer["decision"] == "deny"
    assert answer["reasons"] == ["code_revoked"]
    assert "张立新" in answer["who"]
    assert post(scanner_client, north_gate, body(code=new)).json()["decision"] == "admit"
    tampered = new[:-3] + ("AAA" if new[-3:] != "AAA" else "BBB")
    answer = post(scanner_client, north_gate, body(code=tampered)).json()
    assert answer["reasons"] == ["code_invalid"]
    assert answer["who"] == ""


def test_it_lists_reissued_versions_for_devices(scanner_client, resident):
    services.issue_pass_code(SYSTEM, resident)
    services.issue_pass_code(SYSTEM, resident, reissue=True)
    listed = scanner_client.get("/api/v1/checkpoints/pass-code-versions").json()
    assert listed == [{"person_id": resident.pk, "version": 2}]
