"""Credentials from pasted Integration information, the cloud lock list and typed values."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st
import orjson
import pytest

from aioloqed import (
    CredentialsProblem,
    LoqedCredentials,
    LoqedCredentialsError,
    normalize_mac,
    parse_host_port,
)

FIXTURES = Path(__file__).parent / "fixtures"
LOCK_KEY = bytes(range(32))
BRIDGE_KEY = bytes(range(32, 64))
LOCK_KEY_B64 = base64.b64encode(LOCK_KEY).decode()
BRIDGE_KEY_B64 = base64.b64encode(BRIDGE_KEY).decode()


def load_fixture(name: str) -> Any:
    return orjson.loads((FIXTURES / name).read_bytes())


INFO: dict[str, Any] = {
    "lock_id": "lock-123",
    "lock_key_local_id": 5,
    "lock_key_key": LOCK_KEY_B64,
    "backend_key": "aGVsbG8gd29ybGQ=",
    "bridge_key": BRIDGE_KEY_B64,
    "bridge_ip": "192.168.12.34",
    "bridge_mdns_hostname": "LOQED-aabbccddeeff.local",
}
INFO_TEXT = orjson.dumps(INFO).decode()


def _smart(text: str) -> str:
    """Turn straight double quotes into the curly pair a phone keyboard produces."""
    out, opening = [], True
    for ch in text:
        if ch == '"':
            out.append("\u201c" if opening else "\u201d")
            opening = not opening
        else:
            out.append(ch)
    return "".join(out)


def _assert_no_secret(text: str) -> None:
    for secret in (LOCK_KEY_B64, BRIDGE_KEY_B64, LOCK_KEY_B64[:16], BRIDGE_KEY_B64[:16]):
        assert secret not in text


def test_from_integration_information_object() -> None:
    creds = LoqedCredentials.from_integration_information(INFO)
    assert creds.host == "192.168.12.34"
    assert creds.port == 80
    assert creds.lock_key_bytes == LOCK_KEY
    assert creds.bridge_key_bytes == BRIDGE_KEY
    assert creds.local_key_id == 5
    assert creds.lock_id == "lock-123"
    assert creds.mdns_hostname == "LOQED-aabbccddeeff.local"
    assert creds.mac_from_mdns == "aabbccddeeff"
    assert creds.name is None


@pytest.mark.parametrize(
    "pasted",
    [
        pytest.param(INFO_TEXT, id="exact"),
        pytest.param(INFO_TEXT.encode(), id="bytes"),
        pytest.param("\ufeff" + INFO_TEXT, id="bom"),
        pytest.param(b"\xef\xbb\xbf" + INFO_TEXT.encode(), id="bom-bytes"),
        pytest.param(f"\n\n   {INFO_TEXT}  \n", id="whitespace"),
        pytest.param(_smart(INFO_TEXT), id="smart-double-quotes"),
        pytest.param(INFO_TEXT.replace('"', "\u2018"), id="smart-single-quotes"),
        pytest.param(INFO_TEXT.replace('"', "'"), id="python-style-quotes"),
        pytest.param(INFO_TEXT[:-1] + ",}", id="trailing-comma"),
        pytest.param(INFO_TEXT[:-1] + ",\n  }", id="trailing-comma-newline"),
        pytest.param(INFO_TEXT.replace(", ", ",").replace(",", ",\u00a0"), id="nbsp"),
        pytest.param(INFO_TEXT.replace(":", ":\u202f"), id="narrow-nbsp"),
        pytest.param(f"Integration information:\n{INFO_TEXT}\nCopied!", id="text-around"),
        pytest.param(orjson.dumps(INFO_TEXT).decode(), id="json-string"),
        pytest.param(
            "Integration information \u201c" + _smart(INFO_TEXT)[:-1] + ",\u00a0}\u201d \u200b",
            id="everything",
        ),
    ],
)
def test_integration_information_as_pasted(pasted: str | bytes) -> None:
    creds = LoqedCredentials.from_integration_information(pasted)
    assert creds == LoqedCredentials.from_integration_information(INFO)


def test_keys_with_whitespace_and_line_breaks_are_normalised() -> None:
    wrapped = LOCK_KEY_B64[:20] + "\n " + LOCK_KEY_B64[20:] + " \u00a0"
    creds = LoqedCredentials.from_integration_information(INFO | {"lock_key_key": wrapped})
    assert creds.lock_key == LOCK_KEY_B64


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(base64.urlsafe_b64encode(LOCK_KEY).decode(), id="urlsafe"),
        pytest.param(LOCK_KEY_B64.rstrip("="), id="no-padding"),
        pytest.param(LOCK_KEY_B64.replace("=", "%3D"), id="percent"),
    ],
)
def test_key_spellings_are_accepted(variant: str) -> None:
    creds = LoqedCredentials.from_integration_information(INFO | {"lock_key_key": variant})
    assert creds.lock_key_bytes == LOCK_KEY
    assert creds.lock_key == LOCK_KEY_B64


@pytest.mark.parametrize(
    ("bridge_ip", "host", "port"),
    [
        ("192.168.12.34:8080", "192.168.12.34", 8080),
        ("127.0.0.1:49152", "127.0.0.1", 49152),
        ("http://192.168.12.34/", "192.168.12.34", 80),
        ("LOQED-AABBCCDDEEFF.local", "loqed-aabbccddeeff.local", 80),
        ("[fe80::1]:8081", "fe80::1", 8081),
        ("fe80::1", "fe80::1", 80),
    ],
)
def test_bridge_ip_may_carry_a_port(bridge_ip: str, host: str, port: int) -> None:
    creds = LoqedCredentials.from_integration_information(INFO | {"bridge_ip": bridge_ip})
    assert (creds.host, creds.port) == (host, port)


def test_missing_bridge_ip_falls_back_to_mdns_name() -> None:
    creds = LoqedCredentials.from_integration_information(INFO | {"bridge_ip": ""})
    assert creds.host == "loqed-aabbccddeeff.local"


def test_cloud_lock_shape_is_accepted_as_integration_information() -> None:
    lock = load_fixture("get_all_locks.json")["data"][0] | {
        "key_secret": LOCK_KEY_B64,
        "bridge_key": BRIDGE_KEY_B64,
    }
    creds = LoqedCredentials.from_integration_information(orjson.dumps(lock))
    assert creds.name == "MyLock"


def test_from_cloud_lock() -> None:
    lock = load_fixture("get_all_locks.json")["data"][0] | {
        "key_secret": LOCK_KEY_B64,
        "bridge_key": BRIDGE_KEY_B64,
        "local_id": "7",
    }
    creds = LoqedCredentials.from_cloud_lock(lock)
    assert (creds.host, creds.port, creds.local_key_id) == ("192.168.12.34", 80, 7)
    assert creds.lock_id == "Foo"
    assert creds.name == "MyLock"
    assert creds.mdns_hostname == "LOQED-aabbccddeeff.local"
    assert creds.lock_key_bytes == LOCK_KEY


def test_from_cloud_lock_without_ip_uses_hostname() -> None:
    lock = {
        "bridge_hostname": "LOQED-aabbccddeeff.local",
        "bridge_ip": None,
        "key_secret": LOCK_KEY_B64,
        "bridge_key": BRIDGE_KEY_B64,
        "local_id": 1,
        "id": 42,
    }
    creds = LoqedCredentials.from_cloud_lock(lock)
    assert creds.host == "loqed-aabbccddeeff.local"
    assert creds.lock_id == "42"


def test_numeric_key_id_forms() -> None:
    for value in (5, "5", " 5 ", 5.0, "+5"):
        creds = LoqedCredentials.from_integration_information(INFO | {"lock_key_local_id": value})
        assert creds.local_key_id == 5


def test_odd_optional_fields_are_dropped() -> None:
    creds = LoqedCredentials.from_integration_information(
        INFO | {"lock_id": ["x"], "bridge_mdns_hostname": "  "}
    )
    assert creds.lock_id is None
    assert creds.mdns_hostname is None


def test_from_values() -> None:
    creds = LoqedCredentials.from_values(
        host=" 192.168.1.20:8080 ",
        bridge_key=BRIDGE_KEY_B64,
        lock_key=LOCK_KEY_B64,
        local_key_id="3",
    )
    assert (creds.host, creds.port, creds.local_key_id) == ("192.168.1.20", 8080, 3)
    explicit = LoqedCredentials.from_values(
        host="192.168.1.20",
        bridge_key=BRIDGE_KEY_B64,
        lock_key=LOCK_KEY_B64,
        local_key_id=0,
        port=8123,
    )
    assert explicit.port == 8123
    for port in (8123.0, "8123", " 8123 "):
        values = {"bridge_key": BRIDGE_KEY_B64, "lock_key": LOCK_KEY_B64, "local_key_id": 0}
        creds = LoqedCredentials.from_values(host="192.168.1.20", port=port, **values)  # type: ignore[arg-type]
        assert creds.port == 8123


def test_direct_construction_validates_and_normalises() -> None:
    creds = LoqedCredentials(
        host="Bridge.Local:81",
        port=80,
        bridge_key=BRIDGE_KEY_B64 + "\n",
        lock_key=LOCK_KEY_B64,
        local_key_id=250,
    )
    assert (creds.host, creds.port) == ("bridge.local", 81)
    assert creds.bridge_key == BRIDGE_KEY_B64
    with pytest.raises(LoqedCredentialsError) as err:
        LoqedCredentials(
            host="x", port=0, bridge_key=BRIDGE_KEY_B64, lock_key=LOCK_KEY_B64, local_key_id=1
        )
    assert (err.value.field, err.value.reason) == ("port", CredentialsProblem.OUT_OF_RANGE)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"lock_key_key": None}, "lock_key_key", CredentialsProblem.MISSING),
        ({"lock_key_key": "  "}, "lock_key_key", CredentialsProblem.MISSING),
        ({"bridge_key": "not base64!"}, "bridge_key", CredentialsProblem.NOT_BASE64),
        ({"bridge_key": 1234}, "bridge_key", CredentialsProblem.NOT_BASE64),
        ({"bridge_key": "QUJD"}, "bridge_key", CredentialsProblem.WRONG_LENGTH),
        ({"lock_key_key": "SGFsbG8gd2VyZWxk"}, "lock_key_key", CredentialsProblem.WRONG_LENGTH),
        (
            {"lock_key_key": base64.b64encode(bytes(65)).decode()},
            "lock_key_key",
            CredentialsProblem.WRONG_LENGTH,
        ),
        ({"lock_key_local_id": 251}, "lock_key_local_id", CredentialsProblem.OUT_OF_RANGE),
        ({"lock_key_local_id": 255}, "lock_key_local_id", CredentialsProblem.OUT_OF_RANGE),
        ({"lock_key_local_id": -1}, "lock_key_local_id", CredentialsProblem.OUT_OF_RANGE),
        ({"lock_key_local_id": "five"}, "lock_key_local_id", CredentialsProblem.NOT_A_NUMBER),
        ({"lock_key_local_id": 1.5}, "lock_key_local_id", CredentialsProblem.NOT_A_NUMBER),
        ({"lock_key_local_id": True}, "lock_key_local_id", CredentialsProblem.NOT_A_NUMBER),
        ({"lock_key_local_id": [1]}, "lock_key_local_id", CredentialsProblem.NOT_A_NUMBER),
        ({"lock_key_local_id": ""}, "lock_key_local_id", CredentialsProblem.MISSING),
        ({"bridge_ip": "bad host!"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": "192.168.1"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": "1.2.3.4:99999"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": "1.2.3.4:http"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": "[fe80::1"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": "[fe80::1]x"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": "[not-v6]:80"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": "fe80::zz::1"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": "-bad-.local"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": "a" * 64 + ".local"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": ("a" * 60 + ".") * 5 + "com"}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        ({"bridge_ip": 1234}, "bridge_ip", CredentialsProblem.INVALID_HOST),
        (
            {"bridge_ip": None, "bridge_mdns_hostname": None},
            "bridge_ip",
            CredentialsProblem.MISSING,
        ),
    ],
)
def test_invalid_fields_are_named_with_reason(
    changes: dict[str, Any], field: str, reason: CredentialsProblem
) -> None:
    with pytest.raises(LoqedCredentialsError) as err:
        LoqedCredentials.from_integration_information(INFO | changes)
    assert err.value.field == field
    assert err.value.reason is reason
    assert field in str(err.value)
    assert isinstance(err.value, ValueError)
    _assert_no_secret(str(err.value))
    _assert_no_secret(repr(err.value))


def test_ha_fixture_dummy_keys_are_too_short() -> None:
    with pytest.raises(LoqedCredentialsError) as err:
        LoqedCredentials.from_integration_information(load_fixture("integration_config.json"))
    assert err.value.reason is CredentialsProblem.WRONG_LENGTH
    assert err.value.field == "bridge_key"
    assert "13 bytes" in str(err.value)


@pytest.mark.parametrize(
    ("pasted", "reason"),
    [
        ("", CredentialsProblem.NOT_JSON),
        ("hello", CredentialsProblem.NOT_JSON),
        ('{"lock_id": "abc"', CredentialsProblem.NOT_JSON),
        ("{not json at all}", CredentialsProblem.NOT_JSON),
        (b"\xff\xfe{}", CredentialsProblem.NOT_JSON),
        ("[1, 2]", CredentialsProblem.NOT_AN_OBJECT),
        ("42", CredentialsProblem.NOT_AN_OBJECT),
    ],
)
def test_unusable_paste(pasted: str | bytes, reason: CredentialsProblem) -> None:
    with pytest.raises(LoqedCredentialsError) as err:
        LoqedCredentials.from_integration_information(pasted)
    assert err.value.reason is reason
    assert err.value.field == "integration_information"


def test_cloud_lock_must_be_an_object() -> None:
    with pytest.raises(LoqedCredentialsError) as err:
        LoqedCredentials.from_cloud_lock(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert err.value.reason is CredentialsProblem.NOT_AN_OBJECT


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"host": ""}, "host", CredentialsProblem.MISSING),
        ({"host": "a b"}, "host", CredentialsProblem.INVALID_HOST),
        ({"host": 1234}, "host", CredentialsProblem.INVALID_HOST),
        ({"host": None}, "host", CredentialsProblem.MISSING),
        ({"lock_key": ""}, "lock_key", CredentialsProblem.MISSING),
        ({"bridge_key": "@@@@"}, "bridge_key", CredentialsProblem.NOT_BASE64),
        ({"local_key_id": "300"}, "local_key_id", CredentialsProblem.OUT_OF_RANGE),
        ({"port": 70000}, "port", CredentialsProblem.OUT_OF_RANGE),
        ({"port": True}, "port", CredentialsProblem.NOT_A_NUMBER),
        ({"port": 80.5}, "port", CredentialsProblem.NOT_A_NUMBER),
        ({"port": "http"}, "port", CredentialsProblem.NOT_A_NUMBER),
    ],
)
def test_from_values_errors(kwargs: dict[str, Any], field: str, reason: CredentialsProblem) -> None:
    values: dict[str, Any] = {
        "host": "192.168.1.2",
        "bridge_key": BRIDGE_KEY_B64,
        "lock_key": LOCK_KEY_B64,
        "local_key_id": 1,
    } | kwargs
    with pytest.raises(LoqedCredentialsError) as err:
        LoqedCredentials.from_values(**values)
    assert (err.value.field, err.value.reason) == (field, reason)


def test_secrets_never_appear_in_repr_or_str() -> None:
    creds = LoqedCredentials.from_integration_information(INFO)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        _assert_no_secret(text)
        assert "***" in text
        assert "192.168.12.34" in text
        assert "local_key_id=5" in text


def test_wrong_length_error_does_not_leak_a_real_looking_key() -> None:
    long_key = base64.b64encode(bytes(range(100))).decode()
    with pytest.raises(LoqedCredentialsError) as err:
        LoqedCredentials.from_values(
            host="h.local", bridge_key=long_key, lock_key=LOCK_KEY_B64, local_key_id=1
        )
    assert long_key not in str(err.value)
    assert long_key[:12] not in repr(err.value)


@pytest.mark.parametrize(
    ("mdns", "mac"),
    [
        ("LOQED-aabbccddeeff.local", "aabbccddeeff"),
        ("loqed-AABBCCDDEEFF", "aabbccddeeff"),
        ("LOQED-aabbccddeeff.local.", "aabbccddeeff"),
        ("bridge.local", None),
        ("LOQED-xyz.local", None),
    ],
)
def test_mac_from_mdns(mdns: str, mac: str | None) -> None:
    creds = LoqedCredentials.from_integration_information(INFO | {"bridge_mdns_hostname": mdns})
    assert creds.mac_from_mdns == mac


def test_mac_from_mdns_without_name() -> None:
    creds = LoqedCredentials.from_integration_information(INFO | {"bridge_mdns_hostname": None})
    assert creds.mac_from_mdns is None


@pytest.mark.parametrize(
    "value", ["AA:BB:cc-dd.eeff", "aabbccddeeff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff"]
)
def test_normalize_mac(value: str) -> None:
    assert normalize_mac(value) == "aabbccddeeff"


@pytest.mark.parametrize("value", ["", "aabbccddee", "aabbccddeeffgg", "gg:bb:cc:dd:ee:ff"])
def test_normalize_mac_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="12 hex digits"):
        normalize_mac(value)


def test_parse_host_port_default_and_errors() -> None:
    assert parse_host_port("bridge.lan") == ("bridge.lan", 80)
    assert parse_host_port("bridge.lan", 8080) == ("bridge.lan", 8080)
    assert parse_host_port("HTTPS://10.0.0.2:81/path") == ("10.0.0.2", 81)
    with pytest.raises(LoqedCredentialsError) as err:
        parse_host_port("10.0.0.2:0")
    assert (err.value.field, err.value.reason) == ("host", CredentialsProblem.INVALID_HOST)


def test_credentials_are_immutable_and_comparable() -> None:
    one = LoqedCredentials.from_integration_information(INFO)
    two = LoqedCredentials.from_integration_information(INFO_TEXT)
    assert one == two
    assert hash(one) == hash(two)
    with pytest.raises(AttributeError):
        one.host = "other"  # type: ignore[misc]


FIELD_VALUES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60)
INFO_FIELDS = ("lock_key_local_id", "lock_key_key", "bridge_key", "bridge_ip")


def _attempt(data: Any) -> LoqedCredentials | LoqedCredentialsError:
    try:
        return LoqedCredentials.from_integration_information(data)
    except LoqedCredentialsError as err:
        return err


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300))
def test_any_paste_gives_credentials_or_a_credentials_error(pasted: str | bytes) -> None:
    result = _attempt(pasted)
    if isinstance(result, LoqedCredentialsError):
        assert result.field
        assert isinstance(result.reason, CredentialsProblem)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "lock_key_local_id": FIELD_VALUES,
            "lock_key_key": FIELD_VALUES | st.just(LOCK_KEY_B64),
            "bridge_key": FIELD_VALUES | st.just(BRIDGE_KEY_B64),
            "bridge_ip": FIELD_VALUES | st.just("10.0.0.1:8080"),
            "bridge_mdns_hostname": FIELD_VALUES,
            "lock_id": FIELD_VALUES,
        },
    )
)
def test_any_field_values_give_credentials_or_a_named_error(info: dict[str, Any]) -> None:
    result = _attempt(info)
    if isinstance(result, LoqedCredentialsError):
        assert result.field in {*INFO_FIELDS, "bridge_mdns_hostname"}
        _assert_no_secret(str(result))
    else:
        assert 0 <= result.local_key_id <= 250
        assert 16 <= len(result.lock_key_bytes) <= 64
