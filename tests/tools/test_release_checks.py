"""The release checks catch what hassfest, HACS and the brands rules would refuse.

A small but complete repository tree is built in a temporary folder; it passes every check. Each
case then breaks one thing and expects the problem that names it.
"""

from __future__ import annotations

from collections.abc import Callable
import io
import json
from pathlib import Path
import shutil
import tarfile
from typing import Any
import zipfile

from PIL import Image
import pytest
from tools.release_checks import (
    ALL_QUALITY_SCALE_RULES,
    ENTITY_PLATFORMS,
    QUALITY_SCALE_RULES,
    build_integration_zip,
    check_dist,
    run_checks,
)
import yaml

from tools import make_brand_images, release_checks

REPO = Path(__file__).resolve().parents[2]
INTEGRATION = "custom_components/loqed_bridge"

MANIFEST: dict[str, Any] = {
    "domain": "loqed_bridge",
    "name": "LOQED Bridge (local)",
    "codeowners": ["@example"],
    "config_flow": True,
    "dependencies": ["webhook"],
    "dhcp": [{"hostname": "loqed*"}],
    "documentation": "https://example.com/docs",
    "integration_type": "device",
    "iot_class": "local_push",
    "issue_tracker": "https://example.com/issues",
    "loggers": ["aioloqed"],
    "requirements": ["aioloqed==0.1.0"],
    "version": "0.1.0",
    "zeroconf": [{"type": "_http._tcp.local.", "name": "loqed*"}],
}

STRINGS: dict[str, Any] = {
    "config": {
        "step": {
            "user": {
                "data": {"host": "[%key:common::config_flow::data::host%]"},
                "data_description": {"host": "The address of the bridge on your network."},
            },
        },
        "error": {"cannot_connect": "[%key:common::config_flow::error::cannot_connect%]"},
        "abort": {
            "already_configured": "[%key:common::config_flow::abort::already_configured_device%]",
            "reauth_successful": "[%key:common::config_flow::abort::reauth_successful%]",
        },
    },
    "entity": {
        "lock": {"door_lock": {"name": "Door"}},
        "sensor": {"battery_type": {"name": "Battery type", "state": {"alkaline": "Alkaline"}}},
    },
    "exceptions": {
        "bridge_unreachable": {"message": "The bridge at {host} cannot be reached."},
        "command_failed": {"message": "The lock did not confirm the command."},
    },
    "services": {
        "sync_webhooks": {
            "name": "Sync webhooks",
            "description": "Registers this Home Assistant on the bridge again.",
        },
    },
}

RESOLVED = {
    "Host": "[%key:common::config_flow::data::host%]",
    "Failed to connect": "[%key:common::config_flow::error::cannot_connect%]",
    "Device is already configured": "[%key:common::config_flow::abort::already_configured_device%]",
    "Re-authentication was successful": "[%key:common::config_flow::abort::reauth_successful%]",
}

INIT_PY = '''"""The integration."""
from homeassistant.components import webhook
from homeassistant.exceptions import ConfigEntryNotReady

DOMAIN = "loqed_bridge"


async def async_setup_entry(hass, entry):
    entry.runtime_data = webhook
    hass.services.async_register(DOMAIN, "sync_webhooks", print)
    raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="bridge_unreachable")
'''

CONFIG_FLOW_PY = '''"""Config flow."""
from homeassistant.config_entries import ConfigFlow


class Flow(ConfigFlow, domain="loqed_bridge"):
    async def async_step_user(self, user_input=None):
        errors = {}
        await self.async_set_unique_id("aabbccddeeff")
        self._abort_if_unique_id_configured()
        if user_input:
            errors["base"] = "cannot_connect"
        return self.async_show_form(step_id="user", errors=errors)

    async def async_step_reauth(self, entry_data):
        return self.async_update_reload_and_abort(self._get_reauth_entry(), data_updates={})

    async def async_step_reconfigure(self, user_input=None):
        return self.async_show_form(step_id="user")
'''

LOCK_PY = '''"""Lock platform."""
from homeassistant.components.lock import LockEntity
from homeassistant.exceptions import HomeAssistantError

PARALLEL_UPDATES = 1


class LoqedLock(LockEntity):
    _attr_translation_key = "door_lock"

    async def async_lock(self, **kwargs):
        raise HomeAssistantError(
            translation_domain="loqed_bridge", translation_key="command_failed"
        )
'''

SENSOR_PY = '''"""Sensor platform."""
from homeassistant.components.sensor import SensorEntityDescription

PARALLEL_UPDATES = 0
SENSORS = (SensorEntityDescription(key="battery_type", translation_key="battery_type"),)
'''

ICONS: dict[str, Any] = {
    "entity": {"sensor": {"battery_type": {"default": "mdi:battery"}}},
    "services": {"sync_webhooks": {"service": "mdi:webhook"}},
}


def _quality_scale() -> str:
    rules: dict[str, Any] = dict.fromkeys(sorted(ALL_QUALITY_SCALE_RULES), "done")
    rules["docs-examples"] = "todo"
    rules["action-setup"] = {"status": "exempt", "comment": "The service is set up per entry."}
    return yaml.safe_dump({"rules": rules}, sort_keys=False)


def _resolve(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _resolve(item) for key, item in value.items()}
    return next((text for text, ref in RESOLVED.items() if ref == value), value)


FILES: dict[str, str] = {
    "pyproject.toml": '[project]\nname = "aioloqed"\nversion = "0.1.0"\n',
    "requirements-dev.txt": "pytest\nhomeassistant==2025.4.4\n",
    "README.md": "# LOQED Bridge\n",
    "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-01-31\n\n- First.\n",
    "hacs.json": json.dumps(
        {
            "name": "LOQED Bridge (local)",
            "filename": "loqed_bridge.zip",
            "homeassistant": "2025.4.4",
            "render_readme": True,
            "zip_release": True,
        }
    ),
    f"{INTEGRATION}/manifest.json": json.dumps(MANIFEST, indent=2),
    f"{INTEGRATION}/__init__.py": INIT_PY,
    f"{INTEGRATION}/config_flow.py": CONFIG_FLOW_PY,
    f"{INTEGRATION}/lock.py": LOCK_PY,
    f"{INTEGRATION}/sensor.py": SENSOR_PY,
    f"{INTEGRATION}/diagnostics.py": '"""Diagnostics."""\n',
    f"{INTEGRATION}/strings.json": json.dumps(STRINGS, indent=2),
    f"{INTEGRATION}/translations/en.json": json.dumps(_resolve(STRINGS), indent=2),
    f"{INTEGRATION}/translations/nl.json": json.dumps(_resolve(STRINGS), indent=2),
    f"{INTEGRATION}/icons.json": json.dumps(ICONS),
    f"{INTEGRATION}/services.yaml": "sync_webhooks:\n",
    f"{INTEGRATION}/quality_scale.yaml": _quality_scale(),
}


@pytest.fixture(scope="module")
def brand_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("brand")
    make_brand_images.write_brand_images(folder)
    return folder


@pytest.fixture
def tree(tmp_path: Path, brand_dir: Path) -> Path:
    """A repository tree that passes every release check."""
    root = tmp_path / "repo"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shutil.copytree(brand_dir, root / INTEGRATION / "brand")
    return root


# ------------------------------------------------------------------------ mutation helpers

Mutation = Callable[[Path], None]


def edit_json(name: str, change: Callable[[dict[str, Any]], object]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / name
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data), encoding="utf-8")

    return mutate


def manifest(change: Callable[[dict[str, Any]], object]) -> Mutation:
    return edit_json(f"{INTEGRATION}/manifest.json", change)


def strings(change: Callable[[dict[str, Any]], object]) -> Mutation:
    """Change strings.json and en.json alike (en.json then still matches)."""

    def mutate(root: Path) -> None:
        edit_json(f"{INTEGRATION}/strings.json", change)(root)
        edit_json(f"{INTEGRATION}/translations/en.json", change)(root)

    return mutate


def write(name: str, text: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    return mutate


def append(name: str, text: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / name
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return mutate


def replace(name: str, old: str, new: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return mutate


def remove(name: str) -> Mutation:
    return lambda root: (root / name).unlink()


def quality_rules(change: Callable[[dict[str, Any]], object]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / INTEGRATION / "quality_scale.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data["rules"])
        path.write_text(yaml.safe_dump(data), encoding="utf-8")

    return mutate


def image(name: str, picture: Image.Image, fmt: str = "PNG") -> Mutation:
    def mutate(root: Path) -> None:
        picture.save(root / INTEGRATION / "brand" / name, format=fmt)

    return mutate


def solid(size: tuple[int, int], mode: str = "RGBA") -> Image.Image:
    return Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30))


def padded_icon() -> Image.Image:
    icon = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    icon.paste(solid((128, 128)), (64, 64))
    return icon


def pop(key: str) -> Callable[[dict[str, Any]], object]:
    return lambda data: data.pop(key)


def put(key: str, value: Any) -> Callable[[dict[str, Any]], object]:
    return lambda data: data.__setitem__(key, value)


def reorder_manifest(data: dict[str, Any]) -> None:
    version = data.pop("version")
    items = list(data.items())
    data.clear()
    data.update([*items[:2], ("version", version), *items[2:]])


def nested(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], object]:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(path[-1])
        else:
            node[path[-1]] = value

    return change


FLOW = f"{INTEGRATION}/config_flow.py"
EN = f"{INTEGRATION}/translations/en.json"

CASES: dict[str, tuple[Mutation, str]] = {
    # hacs.json and layout
    "hacs extra key": (edit_json("hacs.json", put("domains", ["x"])), "unknown key 'domains'"),
    "hacs name": (edit_json("hacs.json", pop("name")), "'name' is required"),
    "hacs wrong type": (edit_json("hacs.json", put("render_readme", "yes")), "wrong type"),
    "hacs untested minimum": (
        edit_json("hacs.json", put("homeassistant", "2024.1.0")),
        "the minimum must be a version we test",
    ),
    "hacs no minimum": (edit_json("hacs.json", pop("homeassistant")), "'homeassistant'"),
    "hacs zip name": (edit_json("hacs.json", pop("filename")), "zip_release needs 'filename'"),
    "hacs readme": (remove("README.md"), "README.md is missing"),
    "hacs no file": (remove("hacs.json"), "hacs.json: missing"),
    "two integrations": (write("custom_components/other/x.py", ""), "exactly one integration"),
    # manifest.json
    "manifest order": (manifest(reorder_manifest), "keys must be sorted"),
    "manifest iot_class": (manifest(put("iot_class", "local")), "iot_class 'local' is not one"),
    "manifest type": (manifest(put("integration_type", "bridge")), "integration_type 'bridge'"),
    "manifest codeowners": (manifest(pop("codeowners")), "'codeowners' is required"),
    "manifest handles": (manifest(put("codeowners", ["someone"])), "GitHub handles"),
    "manifest http": (manifest(put("documentation", "http://x.org")), "must be an https URL"),
    "manifest ha docs": (
        manifest(put("documentation", "https://www.home-assistant.io/integrations/loqed")),
        "must not point at home-assistant.io",
    ),
    "manifest pin": (manifest(put("requirements", ["aioloqed>=0.1"])), "one exact version"),
    "manifest bad requirement": (manifest(put("requirements", ["aio loqed"])), "not a valid"),
    "manifest no library": (manifest(put("requirements", [])), "must pin aioloqed"),
    "manifest loggers": (manifest(put("loggers", ["loqed"])), "loggers must list 'aioloqed'"),
    "manifest list": (manifest(put("dependencies", "webhook")), "must be a list of strings"),
    "manifest bool": (manifest(put("single_config_entry", "yes")), "must be true or false"),
    "manifest scale": (manifest(put("quality_scale", "diamond")), "not a known tier"),
    "manifest version": (manifest(put("version", "one")), "not a valid version"),
    "manifest name": (manifest(put("name", "")), "name must be a non-empty string"),
    "zeroconf type": (
        manifest(put("zeroconf", [{"type": "_http._tcp", "name": "loqed*"}])),
        "is not like '_http._tcp.local.'",
    ),
    "zeroconf string": (manifest(put("zeroconf", ["_loqed._tcp.local"])), "is not like"),
    "zeroconf shape": (manifest(put("zeroconf", "_http._tcp.local.")), "zeroconf must be a list"),
    "zeroconf entry": (manifest(put("zeroconf", [7])), "must be a service type or an object"),
    "zeroconf name": (
        manifest(put("zeroconf", [{"type": "_http._tcp.local.", "name": "LOQED*"}])),
        "name must be a lowercase string",
    ),
    "zeroconf properties": (
        manifest(put("zeroconf", [{"type": "_http._tcp.local.", "properties": {"a": "B"}}])),
        "properties must map to lowercase strings",
    ),
    "zeroconf deprecated": (
        manifest(put("zeroconf", [{"type": "_http._tcp.local.", "macaddress": "AA*"}])),
        "'macaddress' is deprecated",
    ),
    "zeroconf unknown": (
        manifest(put("zeroconf", [{"type": "_http._tcp.local.", "host": "x"}])),
        "unknown key 'host'",
    ),
    "dhcp shape": (manifest(put("dhcp", {"hostname": "loqed*"})), "dhcp must be a list"),
    "dhcp empty": (manifest(put("dhcp", [{}])), "must be a non-empty object"),
    "dhcp hostname": (manifest(put("dhcp", [{"hostname": "LOQED*"}])), "hostname must be a"),
    "dhcp mac": (manifest(put("dhcp", [{"macaddress": "AABBCC"}])), "'*' wildcard"),
    "dhcp registered": (
        manifest(put("dhcp", [{"registered_devices": "yes"}])),
        "registered_devices must be true or false",
    ),
    "dhcp unknown": (manifest(put("dhcp", [{"ip": "1.2.3.4"}])), "unknown key 'ip'"),
    "webhook dependency": (manifest(put("dependencies", [])), "does not list 'webhook'"),
    "config_flow off": (manifest(put("config_flow", False)), "config_flow is not true"),
    "config_flow missing": (remove(FLOW), "config_flow.py is missing"),
    "domain": (manifest(put("domain", "loqed")), "domain is 'loqed', the folder is"),
    "manifest unknown key": (manifest(put("icon", "mdi:lock")), "unknown key 'icon'"),
    "manifest json": (write(f"{INTEGRATION}/manifest.json", "{"), "not valid JSON"),
    "manifest array": (write(f"{INTEGRATION}/manifest.json", "[]"), "must hold a JSON object"),
    # versions
    "version bump": (
        manifest(lambda m: m.update(version="0.2.0", requirements=["aioloqed==0.2.0"])),
        "bump both together",
    ),
    "requirement pin": (
        manifest(put("requirements", ["aioloqed==0.0.9"])),
        "does not match the library's version 0.1.0",
    ),
    "changelog section": (replace("CHANGELOG.md", "[0.1.0]", "[0.0.1]"), "no '## [0.1.0]"),
    "changelog date": (replace("CHANGELOG.md", " - 2026-01-31", ""), "needs its release date"),
    "changelog missing": (remove("CHANGELOG.md"), "CHANGELOG.md: missing"),
    "pyproject": (write("pyproject.toml", "[project]\n"), "version is missing or unreadable"),
    # strings.json and translations
    "en missing key": (
        edit_json(EN, nested(("exceptions", "command_failed"), None)),
        "exceptions.command_failed.message: missing",
    ),
    "nl missing key": (
        edit_json(f"{INTEGRATION}/translations/nl.json", nested(("entity", "lock"), None)),
        "nl.json: entity.lock.door_lock.name: missing",
    ),
    "en extra key": (edit_json(EN, nested(("title",), "Old")), "title: not in strings.json"),
    "en reference": (
        edit_json(EN, nested(("config", "error", "cannot_connect"), RESOLVED["Failed to connect"])),
        "unresolved reference",
    ),
    "en differs": (
        edit_json(EN, nested(("entity", "lock", "door_lock", "name"), "Front")),
        "differs from strings.json",
    ),
    "en missing": (remove(EN), "translations/en.json: missing"),
    "strings missing": (remove(f"{INTEGRATION}/strings.json"), "strings.json: missing"),
    "bad reference": (
        strings(nested(("config", "error", "cannot_connect"), "[%key:common::nope%]")),
        "reference 'common::nope' not found",
    ),
    "data_description": (
        strings(nested(("config", "step", "user", "data_description", "port"), "The port.")),
        "data_description.port: no such field in data",
    ),
    "translation key": (
        strings(nested(("entity", "lock", "Door_Lock"), {"name": "Door"})),
        "'Door_Lock' is not a valid translation key",
    ),
    "exception message": (
        strings(nested(("exceptions", "command_failed"), {"text": "Failed"})),
        "exceptions.command_failed: needs a message",
    ),
    "issue shape": (
        strings(nested(("issues", "no_url"), {"title": "No URL"})),
        "issues.no_url: needs either a description or a fix_flow",
    ),
    "issue title": (
        strings(nested(("issues", "no_url"), {"description": "No URL"})),
        "issues.no_url: needs a title",
    ),
    "service text": (
        strings(nested(("services", "sync_webhooks", "name"), None)),
        "services.sync_webhooks: needs a name and a description",
    ),
    "service field text": (
        strings(nested(("services", "sync_webhooks", "fields"), {"force": {"name": "Force"}})),
        "services.sync_webhooks.fields.force: needs a name and a description",
    ),
    "html": (
        strings(nested(("entity", "lock", "door_lock", "name"), "<b>Door</b>")),
        "contains HTML",
    ),
    "spaces": (strings(nested(("entity", "lock", "door_lock", "name"), "Door ")), "trailing"),
    "empty": (strings(nested(("entity", "lock", "door_lock", "name"), "")), "non-empty string"),
    "quoted placeholder": (
        strings(nested(("exceptions", "command_failed", "message"), "Lock '{name}' failed")),
        "placeholder inside single quotes",
    ),
    "combined reference": (
        strings(nested(("config", "error", "cannot_connect"), "No: [%key:common::x%]")),
        "a reference must be the whole string",
    ),
    "unknown section": (strings(nested(("entities",), {"x": "y"})), "unknown section 'entities'"),
    # translation keys used by the code
    "entity key": (
        replace(f"{INTEGRATION}/lock.py", '"door_lock"', '"front_door"'),
        "'front_door' is not in strings.json or icons.json (expected entity.lock.front_door)",
    ),
    "description key": (
        replace(
            f"{INTEGRATION}/sensor.py", 'translation_key="battery_type"', 'translation_key="volts"'
        ),
        "entity.sensor.volts",
    ),
    "exception key": (
        replace(f"{INTEGRATION}/lock.py", '"command_failed"', '"lock_failed"'),
        "exception key 'lock_failed' is not in strings.json",
    ),
    "exception domain": (
        replace(f"{INTEGRATION}/lock.py", 'translation_domain="loqed_bridge", ', ""),
        "translation_key without translation_domain",
    ),
    "issue key": (
        append(
            f"{INTEGRATION}/__init__.py",
            "\nir.async_create_issue(hass, DOMAIN, 'x', translation_key='no_url')\n",
        ),
        "issue key 'no_url'",
    ),
    "other key": (
        append(f"{INTEGRATION}/__init__.py", "\nmake(translation_key='nowhere')\n"),
        "translation key 'nowhere'",
    ),
    "abort reason": (
        append(FLOW, "\n    def x(self):\n        return self.async_abort(reason='not_a_lock')\n"),
        "abort reason key 'not_a_lock'",
    ),
    "mismatch reason": (
        append(FLOW, "\n    def x(self):\n        self._abort_if_unique_id_mismatch()\n"),
        "abort reason key 'unique_id_mismatch'",
    ),
    "reconfigure reason": (
        append(
            FLOW,
            "\n    async def async_step_reconfigure_confirm(self, user_input=None):\n"
            "        return self.async_update_reload_and_abort(entry)\n",
        ),
        "abort reason key 'reconfigure_successful'",
    ),
    "flow error": (replace(FLOW, '"cannot_connect"', '"timeout"'), "flow error key 'timeout'"),
    "flow error dict": (
        append(
            FLOW,
            "\n    def x(self):\n"
            "        return self.async_show_form(step_id='user', errors={'base': 'busy'})\n",
        ),
        "flow error key 'busy'",
    ),
    "flow step": (replace(FLOW, 'step_id="user", errors', 'step_id="manual", errors'), "'manual'"),
    "annotated key": (
        append(
            f"{INTEGRATION}/lock.py",
            "\nclass Other(LockEntity):\n    _attr_translation_key: str = 'back'\n",
        ),
        "entity key 'back'",
    ),
    "syntax": (write(f"{INTEGRATION}/broken.py", "def (:\n"), "broken.py: cannot be parsed"),
    # icons.json
    "icon entity": (
        edit_json(
            f"{INTEGRATION}/icons.json",
            nested(("entity", "sensor", "volts"), {"default": "mdi:flash"}),
        ),
        "entity.sensor.volts: no entity has this translation key",
    ),
    "icon value": (
        edit_json(
            f"{INTEGRATION}/icons.json",
            nested(("entity", "sensor", "battery_type", "default"), "battery"),
        ),
        "'battery' is not an 'mdi:' icon",
    ),
    "icon entry": (
        edit_json(
            f"{INTEGRATION}/icons.json",
            nested(("entity", "sensor", "battery_type", "range"), {"0": "mdi:a"}),
        ),
        "needs 'default' and/or 'state'",
    ),
    "icon service": (
        edit_json(
            f"{INTEGRATION}/icons.json", nested(("services", "reboot"), {"service": "mdi:restart"})
        ),
        "services.reboot: no such service in services.yaml",
    ),
    "icon service shape": (
        edit_json(
            f"{INTEGRATION}/icons.json", nested(("services", "sync_webhooks"), {"x": "mdi:a"})
        ),
        "needs a 'service' icon",
    ),
    "icon section": (
        edit_json(f"{INTEGRATION}/icons.json", put("entities", {})),
        "unknown section",
    ),
    # services.yaml
    "services missing": (remove(f"{INTEGRATION}/services.yaml"), "but services.yaml is missing"),
    "service undescribed": (
        append(
            f"{INTEGRATION}/__init__.py",
            "\nplatform.async_register_entity_service('reboot', {}, 'x')\n",
        ),
        "registers service 'reboot', not described in services.yaml",
    ),
    "service strings": (
        append(f"{INTEGRATION}/services.yaml", "reboot:\n"),
        "reboot: no name/description under services in strings.json",
    ),
    "service field": (
        write(f"{INTEGRATION}/services.yaml", "sync_webhooks:\n  fields:\n    force:\n"),
        "sync_webhooks.force: field is not described in strings.json",
    ),
    "service name": (append(f"{INTEGRATION}/services.yaml", "Reboot:\n"), "not a valid service"),
    "services yaml": (write(f"{INTEGRATION}/services.yaml", "a: [\n"), "not valid YAML"),
    "services shape": (write(f"{INTEGRATION}/services.yaml", "- a\n"), "must map service names"),
    # quality_scale.yaml
    "rule missing": (quality_rules(pop("strict-typing")), "rule 'strict-typing' is missing"),
    "rule exempt": (quality_rules(put("devices", "exempt")), "'exempt' needs a comment"),
    "rule comment": (quality_rules(put("devices", {"status": "exempt"})), "must be done, todo"),
    "rule unknown": (quality_rules(put("docs-poetry", "done")), "unknown rule 'docs-poetry'"),
    "rule status": (quality_rules(put("devices", "partial")), "unknown status 'partial'"),
    "rule keys": (
        quality_rules(put("devices", {"status": "done", "comment": "x", "by": "me"})),
        "unknown keys ['by']",
    ),
    "rules shape": (write(f"{INTEGRATION}/quality_scale.yaml", "rules: []\n"), "needs a 'rules'"),
    "scale missing": (remove(f"{INTEGRATION}/quality_scale.yaml"), "quality_scale.yaml: missing"),
    "diagnostics done": (
        remove(f"{INTEGRATION}/diagnostics.py"),
        "diagnostics is marked done but diagnostics.py is missing",
    ),
    "reconfigure done": (
        replace(FLOW, "async_step_reconfigure(", "async_step_other("),
        "reconfiguration-flow is marked done but no async_step_reconfigure",
    ),
    "parallel done": (
        replace(f"{INTEGRATION}/sensor.py", "PARALLEL_UPDATES = 0\n", ""),
        "sensor.py does not set PARALLEL_UPDATES",
    ),
    "discovery done": (
        manifest(lambda m: (m.pop("zeroconf"), m.pop("dhcp"))),
        "discovery is marked done but no discovery matcher",
    ),
    # brand images
    "icon size": (image("icon.png", solid((200, 200))), "icon.png: must be 256x256, not 200x200"),
    "logo size": (image("logo.png", solid((400, 100))), "shortest side must be 128 to 256"),
    "icon trimmed": (image("icon.png", padded_icon()), "is not trimmed"),
    "icon mode": (image("icon.png", solid((256, 256), "RGB")), "must be RGBA"),
    "icon jpeg": (image("icon.png", solid((256, 256), "RGB"), "JPEG"), "must be a PNG, not JPEG"),
    "icon bytes": (write(f"{INTEGRATION}/brand/icon.png", "not an image"), "not a readable image"),
    "icon empty": (
        image("icon.png", Image.new("RGBA", (256, 256), (0, 0, 0, 0))),
        "is fully transparent",
    ),
    "brand name": (image("banner.png", solid((256, 256))), "banner.png: not a brand image name"),
    "logo missing": (remove(f"{INTEGRATION}/brand/logo@2x.png"), "brand/logo@2x.png: missing"),
}


def test_the_fixture_tree_passes_every_check(tree: Path) -> None:
    assert run_checks(tree) == []


@pytest.mark.parametrize(("mutation", "expected"), CASES.values(), ids=CASES.keys())
def test_each_check_reports_its_problem(tree: Path, mutation: Mutation, expected: str) -> None:
    mutation(tree)
    problems = run_checks(tree)
    assert any(expected in problem for problem in problems), problems


def test_a_problem_names_the_file_and_line(tree: Path) -> None:
    replace(f"{INTEGRATION}/lock.py", '"door_lock"', '"front_door"')(tree)
    expected = (
        f"{INTEGRATION}/lock.py:9: entity key 'front_door' is not in strings.json or "
        "icons.json (expected entity.lock.front_door)"
    )
    assert run_checks(tree) == [expected]


def test_brand_images_are_optional_dark_variants(tree: Path) -> None:
    for name in ("dark_icon.png", "dark_icon@2x.png", "dark_logo.png", "dark_logo@2x.png"):
        (tree / INTEGRATION / "brand" / name).unlink()
    assert run_checks(tree) == []


def test_an_entity_key_may_serve_only_its_icon(tree: Path) -> None:
    """An entity named after its device (name=None) may use its key only in icons.json."""
    replace(f"{INTEGRATION}/lock.py", '"door_lock"', '"lock"')(tree)
    icon = {"default": "mdi:lock"}
    edit_json(f"{INTEGRATION}/icons.json", nested(("entity", "lock", "lock"), icon))(tree)
    assert run_checks(tree) == []


def test_a_domain_of_a_built_in_integration_is_refused(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_home_assistant = tmp_path / "homeassistant"
    (fake_home_assistant / "components" / "loqed_bridge").mkdir(parents=True)
    monkeypatch.setattr(release_checks, "_home_assistant_dir", lambda: fake_home_assistant)
    problems = run_checks(tree)
    assert any("domain 'loqed_bridge' collides with a built-in integration" in p for p in problems)


def test_a_reference_to_a_reference_is_refused(tree: Path) -> None:
    reference = "[%key:component::loqed_bridge::config::error::cannot_connect%]"
    strings(nested(("config", "abort", "cannot_connect"), reference))(tree)
    edit_json(EN, nested(("config", "abort", "cannot_connect"), "Failed to connect"))(tree)
    nl = f"{INTEGRATION}/translations/nl.json"
    edit_json(nl, nested(("config", "abort", "cannot_connect"), "Failed to connect"))(tree)
    problems = [p.split(": ", 1)[1] for p in run_checks(tree)]
    assert "config.abort.cannot_connect: reference points at another reference" in problems


def test_without_home_assistant_references_are_reported_not_guessed(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release_checks, "_home_assistant_dir", lambda: None)
    problems = run_checks(tree)
    assert any("reference 'common::config_flow::data::host' not found" in p for p in problems)


def test_references_into_other_components_resolve(tree: Path) -> None:
    reference = "[%key:component::lock::entity_component::_::state::jammed%]"
    strings(nested(("entity", "lock", "door_lock", "state"), {"jammed": reference}))(tree)
    for language in (EN, f"{INTEGRATION}/translations/nl.json"):
        state = {"jammed": "Jammed"}
        edit_json(language, nested(("entity", "lock", "door_lock", "state"), state))(tree)
    assert run_checks(tree) == []


def test_a_release_tag_must_name_the_version(tree: Path) -> None:
    assert run_checks(tree, tag="v0.1.0") == []
    assert run_checks(tree, tag="0.1.0") == [
        "tag '0.1.0' does not match the version in pyproject.toml (expected 'v0.1.0')"
    ]
    (tree / "pyproject.toml").write_text("", encoding="utf-8")
    assert "pyproject.toml: [project] version is missing or unreadable" in run_checks(
        tree, tag="v0.1.0"
    )


# ------------------------------------------------------------------------ zip and artifacts


def test_the_zip_holds_the_integration_at_its_root(tree: Path, tmp_path: Path) -> None:
    folder = tree / INTEGRATION
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "lock.cpython-313.pyc").write_bytes(b"\0")
    (folder / ".DS_Store").write_bytes(b"\0")
    names = build_integration_zip(tree, tmp_path / "out" / "loqed_bridge.zip")
    assert "manifest.json" in names
    assert "translations/en.json" in names
    assert "brand/icon.png" in names
    assert not [n for n in names if "pycache" in n or n.startswith(".") or "loqed_bridge/" in n]
    with zipfile.ZipFile(tmp_path / "out" / "loqed_bridge.zip") as archive:
        assert archive.namelist() == names
        assert json.loads(archive.read("manifest.json"))["version"] == "0.1.0"


def test_the_zip_is_reproducible(tree: Path, tmp_path: Path) -> None:
    build_integration_zip(tree, tmp_path / "a.zip")
    (tree / INTEGRATION / "lock.py").touch()
    build_integration_zip(tree, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def _fake_dist(tree: Path, dist: Path, wheel_files: dict[str, str] | None = None) -> None:
    dist.mkdir()
    files = wheel_files or {"aioloqed/__init__.py": "", "aioloqed/py.typed": ""}
    with zipfile.ZipFile(dist / "aioloqed-0.1.0-py3-none-any.whl", "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
    with tarfile.open(dist / "aioloqed-0.1.0.tar.gz", "w:gz") as sdist:
        data = b"[project]\n"
        info = tarfile.TarInfo("aioloqed-0.1.0/pyproject.toml")
        info.size = len(data)
        sdist.addfile(info, io.BytesIO(data))
    build_integration_zip(tree, dist / "loqed_bridge.zip")


def test_built_artifacts_are_checked(tree: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _fake_dist(tree, dist)
    assert check_dist(tree, dist) == []


@pytest.mark.parametrize(
    ("wheel_files", "expected"),
    [
        ({"aioloqed/__init__.py": ""}, "aioloqed/py.typed is missing"),
        (
            {"aioloqed/__init__.py": "", "aioloqed/py.typed": "", "tests/test_x.py": ""},
            "must not contain tests/test_x.py",
        ),
    ],
)
def test_a_bad_wheel_is_refused(
    tree: Path, tmp_path: Path, wheel_files: dict[str, str], expected: str
) -> None:
    dist = tmp_path / "dist"
    _fake_dist(tree, dist, wheel_files)
    assert any(expected in p for p in check_dist(tree, dist))


def test_stale_or_missing_artifacts_are_refused(tree: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _fake_dist(tree, dist)
    (dist / "aioloqed-0.0.9-py3-none-any.whl").write_bytes(b"")
    (dist / "aioloqed-0.1.0.tar.gz").unlink()
    problems = check_dist(tree, dist)
    assert any("unexpected artifact aioloqed-0.0.9-py3-none-any.whl" in p for p in problems)
    assert any("aioloqed-0.1.0.tar.gz: missing" in p for p in problems)


def test_a_zip_of_another_version_is_refused(tree: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _fake_dist(tree, dist)
    with zipfile.ZipFile(dist / "loqed_bridge.zip", "w") as archive:
        archive.writestr("manifest.json", json.dumps({"version": "0.0.9"}))
    assert [p.split(": ", 1)[1] for p in check_dist(tree, dist)] == [
        "manifest version '0.0.9' is not 0.1.0"
    ]
    with zipfile.ZipFile(dist / "loqed_bridge.zip", "w") as archive:
        archive.writestr("loqed_bridge/manifest.json", "{}")
    assert any("manifest.json must be at the root" in p for p in check_dist(tree, dist))


# ---------------------------------------------------------------------------------- the CLI


def test_cli_refuses_on_a_problem(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest(put("iot_class", "local"))(tree)
    code = release_checks.main(["--root", str(tree), "--zip", str(tmp_path / "x.zip")])
    out = capsys.readouterr().out
    assert code == 1
    assert "problem: custom_components/loqed_bridge/manifest.json: iot_class 'local'" in out
    assert "nothing was released" in out
    assert not (tmp_path / "x.zip").exists()


def test_cli_builds_and_verifies(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    _fake_dist(tree, dist)
    (dist / "loqed_bridge.zip").unlink()
    argv = ["--root", str(tree), "--tag", "v0.1.0", "--zip", str(dist / "loqed_bridge.zip")]
    code = release_checks.main([*argv, "--verify-dist", str(dist)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "release checks: ok" in out
    assert (dist / "loqed_bridge.zip").is_file()


def test_cli_verifies_dist(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = release_checks.main(["--root", str(tree), "--verify-dist", str(tmp_path)])
    assert code == 1
    assert "aioloqed-0.1.0-py3-none-any.whl: missing" in capsys.readouterr().out


# ------------------------------------------------------------- facts taken from Home Assistant


def _installed_home_assistant() -> Path:
    folder = release_checks._home_assistant_dir()
    assert folder is not None
    return folder


def test_quality_scale_rules_are_those_of_the_home_assistant_we_test() -> None:
    """Every core integration's quality_scale.yaml lists every rule: their union is the scale."""
    seen: set[str] = set()
    for path in (_installed_home_assistant() / "components").glob("*/quality_scale.yaml"):
        seen |= set(yaml.safe_load(path.read_text(encoding="utf-8"))["rules"])
    assert seen == ALL_QUALITY_SCALE_RULES
    assert sum(len(rules) for rules in QUALITY_SCALE_RULES.values()) == len(seen)


def test_entity_platforms_are_those_of_home_assistant() -> None:
    from homeassistant.const import Platform

    assert {platform.value for platform in Platform} == ENTITY_PLATFORMS


# ------------------------------------------------------------------------------ brand images


def test_brand_images_are_generated_reproducibly(tmp_path: Path, brand_dir: Path) -> None:
    assert make_brand_images.main(["--out", str(tmp_path)]) == 0
    for path in sorted(brand_dir.iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    assert release_checks._image_problems(tmp_path / "icon.png") == []


# ------------------------------------------------------------------------ the real repository


def test_workflows_are_valid_and_run_our_scripts() -> None:
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yaml"))
    names = {p.name for p in workflows}
    assert {"lint.yaml", "release.yaml", "tests.yaml", "validate.yaml"} <= names
    for path in workflows:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data.get(True) or data.get("on"), (
            f"{path.name} has no trigger"
        )  # YAML 1.1: on = True
        assert data["jobs"], path.name
        for job in data["jobs"].values():
            for step in job["steps"]:
                assert "uses" in step or "run" in step, (path.name, step)
                for word in str(step.get("run", "")).split():
                    if word.startswith("scripts/"):
                        assert (REPO / word).is_file(), f"{path.name} runs missing {word}"


def test_release_workflow_publishes_what_scripts_release_builds() -> None:
    release = (REPO / ".github" / "workflows" / "release.yaml").read_text(encoding="utf-8")
    assert "scripts/release --tag" in release
    assert "dist/loqed_bridge.zip" in release
    assert "pypa/gh-action-pypi-publish" in release
    assert "id-token: write" in release
    hacs = json.loads((REPO / "hacs.json").read_text(encoding="utf-8"))
    assert hacs["filename"] == "loqed_bridge.zip"


def test_the_repository_passes_the_release_checks() -> None:
    """Enabled by the lead once the integration is complete: the real tree must pass."""
    assert run_checks(REPO) == []
