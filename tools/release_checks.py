"""Release checks: what hassfest, HACS and the brands rules would refuse, checked offline.

Every ``check_*`` function takes the repository root and returns a list of problems: one
human-readable sentence each, starting with the file it is about. An empty list means the check
passed. Nothing here imports Home Assistant; the installed Home Assistant package is only read
(its ``strings.json`` files resolve ``[%key:...%]`` references).

    python -m tools.release_checks                   # every check; exit 1 on a problem
    python -m tools.release_checks --tag v0.1.0      # ... and the tag names the version
    python -m tools.release_checks --zip dist/loqed_bridge.zip --verify-dist dist

``scripts/release`` runs the first form before it builds anything.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
import importlib.util
import json
from pathlib import Path
import re
import sys
import tarfile
import tomllib
from typing import Any, Final, TypeAlias
from urllib.parse import urlparse
import zipfile

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from PIL import Image, UnidentifiedImageError
import yaml

DOMAIN: Final = "loqed_bridge"
LIBRARY: Final = "aioloqed"
ZIP_NAME: Final = f"{DOMAIN}.zip"
ROOT: Final = Path(__file__).resolve().parent.parent

Problems: TypeAlias = list[str]
Check: TypeAlias = Callable[[Path], Problems]

# ----------------------------------------------------------------------------------- helpers


def integration_dir(root: Path) -> Path:
    """Return the integration's folder inside a repository tree."""
    return root / "custom_components" / DOMAIN


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _read_json_object(path: Path, root: Path, problems: Problems) -> dict[str, Any] | None:
    """Read a JSON file that must hold an object; record why not and return None otherwise."""
    name = _rel(path, root)
    if not path.is_file():
        problems.append(f"{name}: missing")
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        problems.append(f"{name}: not valid JSON ({err})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{name}: must hold a JSON object, not {type(data).__name__}")
        return None
    return data


def _read_yaml(path: Path, root: Path, problems: Problems) -> Any:
    """Read a YAML file; record a problem and return None when it cannot be parsed."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        problems.append(f"{_rel(path, root)}: not valid YAML ({err})")
        return None


def _leaves(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Yield the key path of every non-mapping value in a nested mapping."""
    for key, value in tree.items():
        if isinstance(value, Mapping):
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key)


def _get(tree: Any, path: Sequence[str]) -> Any:
    """Return the value at a key path, or None when any step is missing."""
    node = tree
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _dotted(path: Sequence[str]) -> str:
    return ".".join(path)


def project_version(root: Path) -> str | None:
    """Return ``[project] version`` from pyproject.toml, or None when it cannot be read."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    version = _get(data, ("project", "version"))
    return version if isinstance(version, str) else None


def _home_assistant_dir() -> Path | None:
    """Return the installed homeassistant package folder without importing it."""
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


# ------------------------------------------------------------------------------------- HACS

HACS_KEYS: Final[Mapping[str, type | tuple[type, ...]]] = {
    "content_in_root": bool,
    "country": (str, list),
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
    "name": str,
}


def _tested_home_assistant(root: Path) -> str | None:
    """Return the Home Assistant version pinned in requirements-dev.txt (the one we test)."""
    path = root / "requirements-dev.txt"
    if not path.is_file():
        return None
    match = re.search(r"^homeassistant==(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    return match.group(1) if match else None


def check_hacs(root: Path) -> Problems:
    """Check hacs.json against HACS's schema and the repository layout HACS expects."""
    problems: Problems = []
    hacs = _read_json_object(root / "hacs.json", root, problems)
    if hacs is not None:
        problems += _hacs_keys(hacs)
        problems += _hacs_values(root, hacs)
    components = root / "custom_components"
    folders = (
        sorted(p.name for p in components.iterdir() if p.is_dir() and p.name != "__pycache__")
        if components.is_dir()
        else []
    )
    if folders != [DOMAIN]:
        problems.append(
            f"custom_components: HACS needs exactly one integration folder, {DOMAIN!r}; "
            f"found {folders or 'none'}"
        )
    return problems


def _hacs_keys(hacs: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    for key, value in hacs.items():
        expected = HACS_KEYS.get(key)
        if expected is None:
            problems.append(f"hacs.json: unknown key {key!r} (HACS rejects extra keys)")
        elif not isinstance(value, expected):
            problems.append(f"hacs.json: {key!r} has the wrong type ({type(value).__name__})")
    if not isinstance(hacs.get("name"), str) or not hacs.get("name"):
        problems.append("hacs.json: 'name' is required")
    return problems


def _hacs_values(root: Path, hacs: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    if hacs.get("zip_release") is True and hacs.get("filename") != ZIP_NAME:
        problems.append(
            f"hacs.json: zip_release needs 'filename': {ZIP_NAME!r} "
            "(the archive scripts/release builds)"
        )
    if hacs.get("render_readme") is True and not (root / "README.md").is_file():
        problems.append("hacs.json: render_readme is true but README.md is missing")
    minimum = hacs.get("homeassistant")
    tested = _tested_home_assistant(root)
    if not isinstance(minimum, str):
        problems.append("hacs.json: 'homeassistant' (the minimum version we test) is missing")
    elif tested is not None and minimum != tested:
        problems.append(
            f"hacs.json: homeassistant is {minimum!r} but the tests run on {tested!r} "
            "(requirements-dev.txt); the minimum must be a version we test"
        )
    return problems


# --------------------------------------------------------------------------------- manifest

IOT_CLASSES: Final = frozenset(
    {"assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"}
)
INTEGRATION_TYPES: Final = frozenset(
    {"device", "entity", "hardware", "helper", "hub", "service", "system"}
)
QUALITY_SCALES: Final = frozenset({"bronze", "silver", "gold", "platinum", "internal", "legacy"})
LIST_OF_STR_KEYS: Final = ("after_dependencies", "dependencies", "loggers", "mqtt", "requirements")
BOOL_KEYS: Final = ("config_flow", "import_executor", "single_config_entry")
MANIFEST_KEYS: Final = frozenset(
    {
        "domain",
        "name",
        "after_dependencies",
        "bluetooth",
        "codeowners",
        "config_flow",
        "dependencies",
        "dhcp",
        "disabled",
        "documentation",
        "homekit",
        "import_executor",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "loggers",
        "mqtt",
        "quality_scale",
        "requirements",
        "single_config_entry",
        "ssdp",
        "usb",
        "version",
        "zeroconf",
    }
)
REQUIRED_MANIFEST_KEYS: Final = (
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "requirements",
    "version",
)
# Components whose features work only once they are set up: importing one needs a dependency.
COMPONENTS_NEEDING_DEPENDENCY: Final = frozenset({"cloud", "http", "network", "webhook"})
ZEROCONF_KEYS: Final = frozenset({"type", "name", "properties"})
ZEROCONF_DEPRECATED: Final = frozenset({"macaddress", "manufacturer", "model"})
DHCP_KEYS: Final = frozenset({"hostname", "macaddress", "registered_devices"})


def _manifest_sort_key(key: str) -> tuple[int, str]:
    return ({"domain": 0, "name": 1}.get(key, 2), key)


def check_manifest(root: Path) -> Problems:
    """Check manifest.json the way hassfest and HACS do for a custom integration."""
    problems: Problems = []
    folder = integration_dir(root)
    manifest = _read_json_object(folder / "manifest.json", root, problems)
    if manifest is None:
        return problems
    for step in (
        _manifest_keys,
        _manifest_identity,
        _manifest_urls,
        _manifest_types,
        _manifest_requirements,
        _manifest_zeroconf,
        _manifest_dhcp,
    ):
        problems += [f"{_rel(folder / 'manifest.json', root)}: {p}" for p in step(manifest)]
    problems += _manifest_vs_code(root, manifest)
    return problems


def _manifest_keys(manifest: Mapping[str, Any]) -> Problems:
    problems = [f"{key!r} is required" for key in REQUIRED_MANIFEST_KEYS if key not in manifest]
    problems += [f"unknown key {key!r}" for key in manifest if key not in MANIFEST_KEYS]
    keys = list(manifest)
    if keys != sorted(keys, key=_manifest_sort_key):
        wanted = ", ".join(sorted(keys, key=_manifest_sort_key))
        problems.append(f"keys must be sorted: domain, name, then alphabetical ({wanted})")
    return problems


def _manifest_identity(manifest: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    if "domain" in manifest and manifest["domain"] != DOMAIN:
        problems.append(f"domain is {manifest['domain']!r}, the folder is {DOMAIN!r}")
    ha_dir = _home_assistant_dir()
    if ha_dir is not None and (ha_dir / "components" / DOMAIN).is_dir():
        problems.append(f"domain {DOMAIN!r} collides with a built-in integration")
    if "name" in manifest and (not isinstance(manifest["name"], str) or not manifest["name"]):
        problems.append("name must be a non-empty string")
    if "version" in manifest:
        try:
            Version(str(manifest["version"]))
        except InvalidVersion:
            problems.append(f"version {manifest['version']!r} is not a valid version")
    codeowners = manifest.get("codeowners")
    if "codeowners" in manifest and (
        not isinstance(codeowners, list)
        or not codeowners
        or not all(
            isinstance(o, str) and re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", o) for o in codeowners
        )
    ):
        problems.append("codeowners must be a non-empty list of GitHub handles ('@name')")
    return problems


def _manifest_urls(manifest: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    for key in ("documentation", "issue_tracker"):
        if key not in manifest:
            continue
        url = urlparse(str(manifest[key]))
        if url.scheme != "https" or not url.netloc:
            problems.append(f"{key} must be an https URL, not {manifest[key]!r}")
        elif url.netloc == "www.home-assistant.io":
            problems.append(f"{key} of a custom integration must not point at home-assistant.io")
    return problems


def _manifest_types(manifest: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    if "iot_class" in manifest and manifest["iot_class"] not in IOT_CLASSES:
        problems.append(f"iot_class {manifest['iot_class']!r} is not one of {sorted(IOT_CLASSES)}")
    if "integration_type" in manifest and manifest["integration_type"] not in INTEGRATION_TYPES:
        problems.append(
            f"integration_type {manifest['integration_type']!r} is not one of "
            f"{sorted(INTEGRATION_TYPES)}"
        )
    if "quality_scale" in manifest and manifest["quality_scale"] not in QUALITY_SCALES:
        problems.append(f"quality_scale {manifest['quality_scale']!r} is not a known tier")
    for key in BOOL_KEYS:
        if key in manifest and not isinstance(manifest[key], bool):
            problems.append(f"{key} must be true or false")
    for key in LIST_OF_STR_KEYS:
        value = manifest.get(key)
        if key in manifest and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            problems.append(f"{key} must be a list of strings")
    return problems


def _manifest_requirements(manifest: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    requirements = manifest.get("requirements")
    if not isinstance(requirements, list):
        return problems
    names = set()
    for text in requirements:
        try:
            requirement = Requirement(str(text))
        except InvalidRequirement:
            problems.append(f"requirement {text!r} is not a valid requirement")
            continue
        names.add(canonicalize_name(requirement.name))
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==":
            problems.append(f"requirement {text!r} must pin one exact version (==)")
    if canonicalize_name(LIBRARY) not in names:
        problems.append(f"requirements must pin {LIBRARY} (the library this integration uses)")
    loggers = manifest.get("loggers")
    if isinstance(loggers, list) and LIBRARY not in loggers:
        problems.append(f"loggers must list {LIBRARY!r} so its debug logs can be switched on")
    return problems


def _manifest_zeroconf(manifest: Mapping[str, Any]) -> Problems:
    if "zeroconf" not in manifest:
        return []
    matchers = manifest["zeroconf"]
    if not isinstance(matchers, list):
        return ["zeroconf must be a list"]
    problems: Problems = []
    for index, matcher in enumerate(matchers):
        where = f"zeroconf[{index}]"
        service_type = matcher if isinstance(matcher, str) else None
        if isinstance(matcher, dict):
            service_type = matcher.get("type")
            problems += [
                f"{where}: {key!r} is deprecated; match on name or properties"
                for key in matcher
                if key in ZEROCONF_DEPRECATED
            ]
            problems += [
                f"{where}: unknown key {key!r}"
                for key in matcher
                if key not in ZEROCONF_KEYS | ZEROCONF_DEPRECATED
            ]
            problems += _lowercase_matchers(where, matcher.get("name"), matcher.get("properties"))
        elif not isinstance(matcher, str):
            problems.append(f"{where}: must be a service type or an object with 'type'")
            continue
        if not isinstance(service_type, str) or not re.fullmatch(
            r"_[\w-]+\._(tcp|udp)\.local\.", service_type
        ):
            problems.append(f"{where}: type {service_type!r} is not like '_http._tcp.local.'")
    return problems


def _lowercase_matchers(where: str, name: Any, properties: Any) -> Problems:
    problems: Problems = []
    if name is not None and (not isinstance(name, str) or name != name.lower()):
        problems.append(f"{where}: name must be a lowercase string")
    if properties is not None and (
        not isinstance(properties, dict)
        or not all(isinstance(v, str) and v == v.lower() for v in properties.values())
    ):
        problems.append(f"{where}: properties must map to lowercase strings")
    return problems


def _manifest_dhcp(manifest: Mapping[str, Any]) -> Problems:
    if "dhcp" not in manifest:
        return []
    matchers = manifest["dhcp"]
    if not isinstance(matchers, list):
        return ["dhcp must be a list"]
    problems: Problems = []
    for index, matcher in enumerate(matchers):
        where = f"dhcp[{index}]"
        if not isinstance(matcher, dict) or not matcher:
            problems.append(f"{where}: must be a non-empty object")
            continue
        problems += [f"{where}: unknown key {key!r}" for key in matcher if key not in DHCP_KEYS]
        hostname = matcher.get("hostname")
        if hostname is not None and (not isinstance(hostname, str) or hostname != hostname.lower()):
            problems.append(f"{where}: hostname must be a lowercase string")
        mac = matcher.get("macaddress")
        if mac is not None and (not isinstance(mac, str) or mac != mac.upper() or "*" not in mac):
            problems.append(f"{where}: macaddress must be uppercase with a '*' wildcard")
        if "registered_devices" in matcher and not isinstance(matcher["registered_devices"], bool):
            problems.append(f"{where}: registered_devices must be true or false")
    return problems


def _manifest_vs_code(root: Path, manifest: Mapping[str, Any]) -> Problems:
    folder = integration_dir(root)
    name = _rel(folder / "manifest.json", root)
    problems: Problems = []
    has_flow = (folder / "config_flow.py").is_file()
    if has_flow and manifest.get("config_flow") is not True:
        problems.append(f"{name}: config_flow.py exists but config_flow is not true")
    if manifest.get("config_flow") is True and not has_flow:
        problems.append(f"{name}: config_flow is true but config_flow.py is missing")
    declared = set(manifest.get("dependencies") or []) | set(
        manifest.get("after_dependencies") or []
    )
    for path, component in _imported_components(folder):
        if component in COMPONENTS_NEEDING_DEPENDENCY and component not in declared:
            problems.append(
                f"{_rel(path, root)}: uses homeassistant.components.{component} but "
                f"{name} does not list {component!r} in dependencies"
            )
    return problems


def _load_quietly(path: Path) -> dict[str, Any]:
    """Read a JSON object, or return {} (the check for that file reports why it is unusable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError):
        return None


def _imported_components(folder: Path) -> Iterator[tuple[Path, str]]:
    """Yield (file, component) for every ``homeassistant.components.X`` import."""
    seen: set[tuple[Path, str]] = set()
    for path in _python_files(folder):
        tree = _parse(path)
        if tree is None:
            continue
        for node in ast.walk(tree):
            modules: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
                if node.module == "homeassistant.components":
                    modules = [f"homeassistant.components.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            for module in modules:
                parts = module.split(".")
                if parts[:2] == ["homeassistant", "components"] and len(parts) > 2:  # noqa: PLR2004
                    item = (path, parts[2])
                    if item not in seen:
                        seen.add(item)
                        yield item


# -------------------------------------------------------------------------------- versions


def check_versions(root: Path) -> Problems:
    """Check that library, integration and changelog name the same version."""
    version = project_version(root)
    if version is None:
        return ["pyproject.toml: [project] version is missing or unreadable"]
    problems: Problems = []
    manifest_path = integration_dir(root) / "manifest.json"
    manifest = _read_json_object(manifest_path, root, problems)
    name = _rel(manifest_path, root)
    if manifest is not None:
        if manifest.get("version") != version:
            problems.append(
                f"{name}: version is {manifest.get('version')!r} but pyproject.toml says "
                f"{version!r}; bump both together"
            )
        pins = [
            Requirement(text)
            for text in manifest.get("requirements") or []
            if isinstance(text, str) and _is_library_requirement(text)
        ]
        if pins and str(pins[0].specifier) != f"=={version}":
            problems.append(
                f"{name}: requirement {LIBRARY}{pins[0].specifier} does not match the "
                f"library's version {version} in pyproject.toml"
            )
    changelog = root / "CHANGELOG.md"
    if not changelog.is_file():
        problems.append("CHANGELOG.md: missing")
    else:
        problems += _changelog_problems(changelog.read_text(encoding="utf-8"), version)
    return problems


def _changelog_problems(text: str, version: str) -> Problems:
    heading = re.search(rf"^## \[{re.escape(version)}\](.*)$", text, re.MULTILINE)
    if heading is None:
        return [f"CHANGELOG.md: no '## [{version}] - YYYY-MM-DD' section for the version released"]
    if not re.fullmatch(r" - \d{4}-\d{2}-\d{2}", heading.group(1).rstrip()):
        return [f"CHANGELOG.md: the [{version}] heading needs its release date ' - YYYY-MM-DD'"]
    return []


def _is_library_requirement(text: str) -> bool:
    try:
        return canonicalize_name(Requirement(text).name) == canonicalize_name(LIBRARY)
    except InvalidRequirement:
        return False


def check_tag(root: Path, tag: str) -> Problems:
    """Check that a release tag names the version in pyproject.toml (``vX.Y.Z``)."""
    version = project_version(root)
    if version is None:
        return ["pyproject.toml: [project] version is missing or unreadable"]
    if tag != f"v{version}":
        return [f"tag {tag!r} does not match the version in pyproject.toml (expected 'v{version}')"]
    return []


# ---------------------------------------------------------------------------- translations

STRINGS_SECTIONS: Final = frozenset(
    {
        "title",
        "config",
        "options",
        "selector",
        "device_automation",
        "system_health",
        "config_panel",
        "application_credentials",
        "issues",
        "entity_component",
        "device",
        "entity",
        "exceptions",
        "services",
        "conversation",
        "common",
    }
)
RE_TRANSLATION_KEY: Final = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9_-]+(?<![_-])$")
RE_REFERENCE: Final = re.compile(r"^\[%key:([^%\]]+)%\]$")
RE_ANY_REFERENCE: Final = re.compile(r"\[%key:")
RE_HTML: Final = re.compile(r"<[a-zA-Z/][^>]*>")
RE_QUOTED_PLACEHOLDER: Final = re.compile(r"'\{\w+\}'")


def check_translations(root: Path) -> Problems:
    """Check strings.json's shape and that every translations/*.json matches it."""
    problems: Problems = []
    folder = integration_dir(root)
    strings = _read_json_object(folder / "strings.json", root, problems)
    if strings is None:
        return problems
    name = _rel(folder / "strings.json", root)
    problems += [f"{name}: {p}" for p in _strings_shape(strings)]
    resolved = _resolve_references(strings, name, problems)
    languages = sorted((folder / "translations").glob("*.json"))
    if not any(p.name == "en.json" for p in languages):
        problems.append(f"{_rel(folder / 'translations' / 'en.json', root)}: missing")
    for path in languages:
        translation = _read_json_object(path, root, problems)
        if translation is not None:
            problems += [f"{_rel(path, root)}: {p}" for p in _compare(translation, resolved, path)]
    return problems


def _strings_shape(strings: Mapping[str, Any]) -> Problems:
    problems = [f"unknown section {key!r}" for key in strings if key not in STRINGS_SECTIONS]
    for path in _leaves(strings):
        value = _get(strings, path)
        where = _dotted(path)
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: must be a non-empty string")
            continue
        if value != value.strip():
            problems.append(f"{where}: has leading or trailing spaces")
        if RE_HTML.search(value):
            problems.append(f"{where}: contains HTML")
        if RE_QUOTED_PLACEHOLDER.search(value):
            problems.append(f"{where}: has a placeholder inside single quotes")
        if RE_ANY_REFERENCE.search(value) and not RE_REFERENCE.match(value):
            problems.append(f"{where}: a reference must be the whole string")
    problems += _translation_keys(strings)
    problems += _flow_shape(strings)
    problems += _section_entries(strings)
    return problems


def _translation_keys(strings: Mapping[str, Any]) -> Problems:
    """Check the keys that Home Assistant looks up by translation key."""
    problems: Problems = []
    maps: list[tuple[str, Any]] = [
        ("exceptions", strings.get("exceptions")),
        ("issues", strings.get("issues")),
        ("services", strings.get("services")),
        ("device", strings.get("device")),
    ]
    entity = strings.get("entity")
    if isinstance(entity, Mapping):
        maps += [(f"entity.{platform}", keys) for platform, keys in entity.items()]
        for platform, keys in entity.items():
            if isinstance(keys, Mapping):
                maps += [
                    (f"entity.{platform}.{key}.state", _get(spec, ("state",)))
                    for key, spec in keys.items()
                ]
    for where, mapping in maps:
        if isinstance(mapping, Mapping):
            problems += [
                f"{where}: {key!r} is not a valid translation key ([a-z0-9_-], no leading, "
                "trailing or doubled separators)"
                for key in mapping
                if not RE_TRANSLATION_KEY.match(key)
            ]
    return problems


def _flow_shape(strings: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    for flow in ("config", "options"):
        steps = _get(strings, (flow, "step"))
        if not isinstance(steps, Mapping):
            continue
        for step_id, step in steps.items():
            data = _get(step, ("data",)) or {}
            described = _get(step, ("data_description",)) or {}
            problems += [
                f"{flow}.step.{step_id}.data_description.{key}: no such field in data"
                for key in described
                if key not in data
            ]
    return problems


def _section_entries(strings: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    for key, entry in (_get(strings, ("exceptions",)) or {}).items():
        if not isinstance(entry, Mapping) or "message" not in entry:
            problems.append(f"exceptions.{key}: needs a message")
    for key, entry in (_get(strings, ("issues",)) or {}).items():
        if not isinstance(entry, Mapping) or "title" not in entry:
            problems.append(f"issues.{key}: needs a title")
        elif ("description" in entry) == ("fix_flow" in entry):
            problems.append(f"issues.{key}: needs either a description or a fix_flow")
    for key, entry in (_get(strings, ("services",)) or {}).items():
        if not isinstance(entry, Mapping) or not {"name", "description"} <= entry.keys():
            problems.append(f"services.{key}: needs a name and a description")
            continue
        for field, spec in (entry.get("fields") or {}).items():
            if not isinstance(spec, Mapping) or not {"name", "description"} <= spec.keys():
                problems.append(f"services.{key}.fields.{field}: needs a name and a description")
    return problems


def _reference_sources(strings: Mapping[str, Any]) -> dict[str, Any]:
    """Everything a ``[%key:...%]`` reference can point at: common strings and components."""
    sources: dict[str, Any] = {"component": {DOMAIN: strings}}
    ha_dir = _home_assistant_dir()
    if ha_dir is None:
        return sources
    core = ha_dir / "strings.json"
    if core.is_file():
        sources.update(json.loads(core.read_text(encoding="utf-8")))
    return sources


def _resolve_references(strings: dict[str, Any], name: str, problems: Problems) -> dict[str, Any]:
    """Return strings.json with every reference replaced by the text it points at."""
    sources = _reference_sources(strings)
    ha_dir = _home_assistant_dir()

    def lookup(reference: str) -> Any:
        parts = reference.split("::")
        if parts[0] == "component" and len(parts) > 1 and parts[1] != DOMAIN and ha_dir:
            component = ha_dir / "components" / parts[1] / "strings.json"
            if component.is_file():
                other = json.loads(component.read_text(encoding="utf-8"))
                return _get(other, parts[2:])
        return _get(sources, parts)

    def resolve(node: Any, path: tuple[str, ...]) -> Any:
        if isinstance(node, Mapping):
            return {key: resolve(value, (*path, key)) for key, value in node.items()}
        match = RE_REFERENCE.match(node) if isinstance(node, str) else None
        if match is None:
            return node
        target = lookup(match.group(1))
        if not isinstance(target, str):
            problems.append(f"{name}: {_dotted(path)}: reference {match.group(1)!r} not found")
            return node
        if RE_REFERENCE.match(target):
            problems.append(f"{name}: {_dotted(path)}: reference points at another reference")
        return target

    resolved: dict[str, Any] = resolve(strings, ())
    return resolved


def _compare(translation: Mapping[str, Any], strings: Mapping[str, Any], path: Path) -> Problems:
    expected = set(_leaves(strings))
    actual = set(_leaves(translation))
    problems = [f"{_dotted(p)}: missing (it is in strings.json)" for p in sorted(expected - actual)]
    problems += [f"{_dotted(p)}: not in strings.json" for p in sorted(actual - expected)]
    for leaf in sorted(actual):
        value = _get(translation, leaf)
        if isinstance(value, str) and RE_ANY_REFERENCE.search(value):
            problems.append(
                f"{_dotted(leaf)}: unresolved reference (a custom integration's translations "
                "are shown as they are)"
            )
    if path.name == "en.json":
        problems += [
            f"{_dotted(leaf)}: differs from strings.json ({_get(translation, leaf)!r} vs "
            f"{_get(strings, leaf)!r})"
            for leaf in sorted(actual & expected)
            if _get(translation, leaf) != _get(strings, leaf)
        ]
    return problems


# ----------------------------------------------------------- translation keys used by code

ENTITY_PLATFORMS: Final = frozenset(
    {
        "air_quality",
        "alarm_control_panel",
        "assist_satellite",
        "binary_sensor",
        "button",
        "calendar",
        "camera",
        "climate",
        "conversation",
        "cover",
        "date",
        "datetime",
        "device_tracker",
        "event",
        "fan",
        "geo_location",
        "humidifier",
        "image",
        "image_processing",
        "lawn_mower",
        "light",
        "lock",
        "media_player",
        "notify",
        "number",
        "remote",
        "scene",
        "select",
        "sensor",
        "siren",
        "stt",
        "switch",
        "text",
        "time",
        "todo",
        "tts",
        "update",
        "vacuum",
        "valve",
        "wake_word",
        "water_heater",
        "weather",
    }
)
EXCEPTION_SUFFIXES: Final = ("Error", "Exception", "Failed", "NotReady")
ISSUE_FUNCTIONS: Final = frozenset({"async_create_issue", "create_issue"})


def _camel(platform: str) -> str:
    return "".join(part.title() for part in platform.split("_"))


def _description_platform(class_name: str) -> str | None:
    """Map ``BinarySensorEntityDescription`` (or a subclass name) to ``binary_sensor``."""
    matches = [p for p in ENTITY_PLATFORMS if class_name.endswith(f"{_camel(p)}EntityDescription")]
    return max(matches, key=len) if matches else None


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _str_keyword(node: ast.Call, name: str) -> str | None:
    for keyword in node.keywords:
        if (
            keyword.arg == name
            and isinstance(keyword.value, ast.Constant)
            and isinstance(keyword.value.value, str)
        ):
            return keyword.value.value
    return None


class _KeyUse:
    """One translation key the code uses, and where strings.json must have it."""

    def __init__(self, line: int, key: str, places: Sequence[tuple[str, ...]], what: str) -> None:
        self.line = line
        self.key = key
        self.places = places
        self.what = what


class _KeyCollector(ast.NodeVisitor):
    """Collect translation keys from one module of the integration."""

    def __init__(self, module: str, entity_platforms: Sequence[str]) -> None:
        self.platform = module if module in ENTITY_PLATFORMS else None
        self.entity_platforms = entity_platforms
        self.is_flow = module == "config_flow"
        self.function = ""
        self.uses: list[_KeyUse] = []
        self.missing_domain: list[int] = []

    def _entity_places(self, platform: str | None) -> list[tuple[str, ...]]:
        platforms = [platform] if platform else self.entity_platforms
        return [("entity", p) for p in platforms]

    def _in_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._in_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._in_function(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in node.targets:
                self._assigned(target, value.value, node.lineno)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            self._assigned(node.target, value.value, node.lineno)
        self.generic_visit(node)

    def _assigned(self, target: ast.expr, value: str, line: int) -> None:
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "_attr_translation_key":
            self.uses.append(_KeyUse(line, value, self._entity_places(self.platform), "entity"))
        elif (
            self.is_flow
            and isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and "error" in target.value.id
        ):
            places = [("config", "error"), ("options", "error")]
            self.uses.append(_KeyUse(line, value, places, "flow error"))

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        key = _str_keyword(node, "translation_key")
        if key is not None:
            self._translation_key(node, name, key)
        if self.is_flow:
            self._flow_call(node, name)
        self.generic_visit(node)

    def _translation_key(self, node: ast.Call, name: str, key: str) -> None:
        line = node.lineno
        if name in ISSUE_FUNCTIONS:
            self.uses.append(_KeyUse(line, key, [("issues",)], "issue"))
        elif name.endswith(EXCEPTION_SUFFIXES):
            self.uses.append(_KeyUse(line, key, [("exceptions",)], "exception"))
            if not any(k.arg == "translation_domain" for k in node.keywords):
                self.missing_domain.append(line)
        elif name == "DeviceInfo":
            self.uses.append(_KeyUse(line, key, [("device",)], "device name"))
        elif name.endswith("EntityDescription"):
            platform = _description_platform(name) or self.platform
            self.uses.append(_KeyUse(line, key, self._entity_places(platform), "entity"))
        else:
            places = [*self._entity_places(None), ("exceptions",), ("issues",)]
            self.uses.append(_KeyUse(line, key, places, "translation"))

    def _flow_call(self, node: ast.Call, name: str) -> None:
        line = node.lineno
        aborts = [("config", "abort"), ("options", "abort")]
        self.uses += [
            _KeyUse(line, r, aborts, "abort reason") for r in self._abort_reasons(node, name)
        ]
        step_id = _str_keyword(node, "step_id")
        if step_id is not None and name in {"async_show_form", "async_show_menu"}:
            places = [("config", "step"), ("options", "step")]
            self.uses.append(_KeyUse(line, step_id, places, "flow step"))
        errors = [("config", "error"), ("options", "error")]
        for keyword in node.keywords:
            if keyword.arg == "errors" and isinstance(keyword.value, ast.Dict):
                self.uses += [
                    _KeyUse(line, value.value, errors, "flow error")
                    for value in keyword.value.values
                    if isinstance(value, ast.Constant) and isinstance(value.value, str)
                ]

    def _abort_reasons(self, node: ast.Call, name: str) -> list[str]:
        """Return the abort reasons a config flow call can end with (explicit or default)."""
        reason = _str_keyword(node, "reason")
        if reason is not None and "abort" in name:
            return [reason]
        if name == "_abort_if_unique_id_configured":
            return ["already_configured"]
        if name == "_abort_if_unique_id_mismatch":
            return ["unique_id_mismatch"]
        if name == "async_update_reload_and_abort":
            return [
                f"{kind}_successful" for kind in ("reauth", "reconfigure") if kind in self.function
            ]
        return []


FILES_WITH_ENTITIES: Final = ("strings.json", "icons.json")


def _key_collectors(folder: Path) -> Iterator[tuple[Path, _KeyCollector | None]]:
    """Yield every module of the integration with its collected keys (None: unparsable)."""
    entity_sections = [_get(_load_quietly(folder / n), ("entity",)) for n in FILES_WITH_ENTITIES]
    platforms = sorted({p for section in entity_sections for p in section or {}})
    for path in _python_files(folder):
        tree = _parse(path)
        if tree is None:
            yield path, None
            continue
        collector = _KeyCollector(path.stem, platforms)
        collector.visit(tree)
        yield path, collector


def check_code_translation_keys(root: Path) -> Problems:
    """Check that every translation key the Python code uses exists in strings.json.

    An entity key may instead be in icons.json only: an entity named after its device
    (``name=None``) can use its translation key just for its icon.
    """
    folder = integration_dir(root)
    strings = _load_quietly(folder / "strings.json")
    icons = _load_quietly(folder / "icons.json")
    problems: Problems = []
    for path, collector in _key_collectors(folder):
        name = _rel(path, root)
        if collector is None:
            problems.append(f"{name}: cannot be parsed")
            continue
        for use in collector.uses:
            sources = [strings, icons] if use.what == "entity" else [strings]
            if any(_get(src, (*p, use.key)) is not None for src in sources for p in use.places):
                continue
            wanted = " or ".join(_dotted((*p, use.key)) for p in use.places) or use.key
            files = "strings.json or icons.json" if use.what == "entity" else "strings.json"
            problems.append(
                f"{name}:{use.line}: {use.what} key {use.key!r} is not in {files} "
                f"(expected {wanted})"
            )
        problems += [
            f"{name}:{line}: translation_key without translation_domain (it would not be "
            "translated)"
            for line in collector.missing_domain
        ]
    return problems


def _code_entity_keys(folder: Path) -> set[tuple[str, str]]:
    """Return (platform, translation key) of every entity key the code uses."""
    return {
        (place[1], use.key)
        for _, collector in _key_collectors(folder)
        if collector is not None
        for use in collector.uses
        if use.what == "entity"
        for place in use.places
    }


# ------------------------------------------------------------------------------------ icons

ICON_ENTRY_KEYS: Final = frozenset({"default", "state", "state_attributes"})


def _is_icon(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"mdi:[a-z0-9]+(-[a-z0-9]+)*", value) is not None


def check_icons(root: Path) -> Problems:
    """Check icons.json: valid mdi icons, and keys that match entity translation keys."""
    folder = integration_dir(root)
    path = folder / "icons.json"
    if not path.is_file():
        return []
    problems: Problems = []
    icons = _read_json_object(path, root, problems)
    if icons is None:
        return problems
    name = _rel(path, root)
    problems += [f"{name}: unknown section {k!r}" for k in icons if k not in {"entity", "services"}]
    problems += [
        f"{name}: {_dotted(leaf)}: {_get(icons, leaf)!r} is not an 'mdi:' icon"
        for leaf in _leaves(icons)
        if not _is_icon(_get(icons, leaf))
    ]
    used = _code_entity_keys(folder)
    problems += [f"{name}: {p}" for p in _entity_icons(icons, _load_strings(folder), used)]
    problems += [f"{name}: {p}" for p in _service_icons(icons, _service_names(folder))]
    return problems


def _entity_icons(
    icons: Mapping[str, Any], strings: Mapping[str, Any], used: set[tuple[str, str]]
) -> Problems:
    problems: Problems = []
    for platform, keys in (icons.get("entity") or {}).items():
        for key, entry in (keys or {}).items():
            where = f"entity.{platform}.{key}"
            if _get(strings, ("entity", platform, key)) is None and (platform, key) not in used:
                problems.append(
                    f"{where}: no entity has this translation key (not in strings.json, "
                    "not used by the code)"
                )
            if not isinstance(entry, Mapping) or not entry or set(entry) - ICON_ENTRY_KEYS:
                problems.append(f"{where}: needs 'default' and/or 'state' (nothing else)")
    return problems


def _service_icons(icons: Mapping[str, Any], services: set[str]) -> Problems:
    problems: Problems = []
    for service, entry in (icons.get("services") or {}).items():
        if service not in services:
            problems.append(f"services.{service}: no such service in services.yaml")
        if not isinstance(entry, Mapping) or "service" not in entry:
            problems.append(f"services.{service}: needs a 'service' icon")
    return problems


# --------------------------------------------------------------------------------- services


def _service_names(folder: Path) -> set[str]:
    path = folder / "services.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except yaml.YAMLError:
        return set()
    return set(data) if isinstance(data, dict) else set()


def _registered_services(folder: Path) -> Iterator[tuple[Path, int, str]]:
    """Yield (file, line, service) for every service the code registers by a literal name."""
    for path in _python_files(folder):
        tree = _parse(path)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            position = {
                "async_register": 1,
                "async_register_entity_service": 0,
                "async_register_platform_entity_service": 2,
            }.get(name)
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield path, node.lineno, arg.value


def check_services(root: Path) -> Problems:
    """Check services.yaml against the code that registers services and strings.json."""
    folder = integration_dir(root)
    path = folder / "services.yaml"
    problems: Problems = []
    registered = list(_registered_services(folder))
    strings = _get(_load_strings(folder), ("services",)) or {}
    if not path.is_file():
        problems += [
            f"{_rel(p, root)}:{line}: registers service {service!r} but services.yaml is missing"
            for p, line, service in registered
        ]
        problems += [
            f"{_rel(folder / 'strings.json', root)}: services.{s}: there is no services.yaml"
            for s in strings
        ]
        return problems
    name = _rel(path, root)
    data = _read_yaml(path, root, problems)
    if data is None:
        return problems
    if not isinstance(data, dict):
        return [f"{name}: must map service names to their descriptions"]
    for service, spec in data.items():
        problems += _service_problems(name, str(service), spec, strings)
    problems += [
        f"{_rel(p, root)}:{line}: registers service {service!r}, not described in services.yaml"
        for p, line, service in registered
        if service not in data
    ]
    return problems


def _load_strings(folder: Path) -> dict[str, Any]:
    return _load_quietly(folder / "strings.json")


def _service_problems(name: str, service: str, spec: Any, strings: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    if not RE_TRANSLATION_KEY.match(service):
        problems.append(f"{name}: {service!r} is not a valid service name")
    if spec is not None and not isinstance(spec, dict):
        return [*problems, f"{name}: {service}: must be a mapping"]
    text = strings.get(service)
    if not isinstance(text, Mapping):
        problems.append(f"{name}: {service}: no name/description under services in strings.json")
        text = {}
    for field in (spec or {}).get("fields") or {}:
        if _get(text, ("fields", field)) is None:
            problems.append(f"{name}: {service}.{field}: field is not described in strings.json")
    return problems


# ---------------------------------------------------------------------------- quality scale

# Every rule of Home Assistant's integration quality scale as of 2025.4, by tier.
QUALITY_SCALE_RULES: Final[Mapping[str, tuple[str, ...]]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
ALL_QUALITY_SCALE_RULES: Final = frozenset(
    r for rules in QUALITY_SCALE_RULES.values() for r in rules
)
STATUSES: Final = frozenset({"done", "todo", "exempt"})


def _rule_status(value: Any) -> tuple[str | None, str | None]:
    """Return (status, comment) of one rule entry, or (None, why) when it is malformed."""
    if isinstance(value, str):
        value = {"status": value}
        if value["status"] == "exempt":
            return None, "'exempt' needs a comment: use {status: exempt, comment: why}"
    elif not isinstance(value, dict) or not value.get("comment"):
        return None, "must be done, todo, or {status: done|todo|exempt, comment: why}"
    status, comment = value.get("status"), value.get("comment")
    why = None
    if status not in STATUSES:
        why = f"unknown status {status!r}"
    elif set(value) - {"status", "comment"}:
        why = f"unknown keys {sorted(set(value) - {'status', 'comment'})}"
    elif comment is not None and (not isinstance(comment, str) or not comment.strip()):
        why = "the comment must be text"
    return (None, why) if why else (status, comment)


def check_quality_scale(root: Path) -> Problems:
    """Check quality_scale.yaml lists every rule with a valid status, and what we can verify."""
    folder = integration_dir(root)
    path = folder / "quality_scale.yaml"
    name = _rel(path, root)
    if not path.is_file():
        return [f"{name}: missing"]
    problems: Problems = []
    data = _read_yaml(path, root, problems)
    if data is None:
        return problems
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, dict):
        return [f"{name}: needs a 'rules' mapping"]
    problems += [
        f"{name}: rule {rule!r} is missing (mark it done, todo or exempt with a comment)"
        for tier in QUALITY_SCALE_RULES.values()
        for rule in tier
        if rule not in rules
    ]
    problems += [
        f"{name}: unknown rule {rule!r}" for rule in rules if rule not in ALL_QUALITY_SCALE_RULES
    ]
    done: set[str] = set()
    for rule, value in rules.items():
        status, why = _rule_status(value)
        if status is None:
            problems.append(f"{name}: {rule}: {why}")
        elif status == "done":
            done.add(str(rule))
    problems += [f"{name}: {p}" for p in _verify_done_rules(folder, done)]
    return problems


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _verify_done_rules(folder: Path, done: set[str]) -> Problems:
    """For rules marked done, check what can be seen in the files."""
    strings = _load_strings(folder)
    flow = _read_text(folder / "config_flow.py")
    code = "\n".join(_read_text(p) for p in _python_files(folder))
    manifest = _load_manifest(folder)
    evidence: dict[str, tuple[bool, str]] = {
        "config-flow": ((folder / "config_flow.py").is_file(), "config_flow.py is missing"),
        "diagnostics": ((folder / "diagnostics.py").is_file(), "diagnostics.py is missing"),
        "reauthentication-flow": ("async_step_reauth" in flow, "no async_step_reauth"),
        "reconfiguration-flow": ("async_step_reconfigure" in flow, "no async_step_reconfigure"),
        "discovery": (
            any(k in manifest for k in ("zeroconf", "dhcp", "ssdp", "usb", "bluetooth")),
            "no discovery matcher in manifest.json",
        ),
        "unique-config-entry": (
            "async_set_unique_id" in flow or manifest.get("single_config_entry") is True,
            "the config flow never sets a unique id",
        ),
        "runtime-data": ("runtime_data" in code, "nothing uses ConfigEntry.runtime_data"),
        "icon-translations": ((folder / "icons.json").is_file(), "icons.json is missing"),
        "entity-translations": ("entity" in strings, "strings.json has no entity section"),
        "exception-translations": ("exceptions" in strings, "strings.json has no exceptions"),
        "brands": ((folder / "brand" / "icon.png").is_file(), "brand/icon.png is missing"),
    }
    problems = [
        f"{rule} is marked done but {why}"
        for rule, (ok, why) in sorted(evidence.items())
        if rule in done and not ok
    ]
    if "parallel-updates" in done:
        problems += [
            f"parallel-updates is marked done but {p.name} does not set PARALLEL_UPDATES"
            for p in _python_files(folder)
            if p.stem in ENTITY_PLATFORMS and "PARALLEL_UPDATES" not in _read_text(p)
        ]
    return problems


def _load_manifest(folder: Path) -> dict[str, Any]:
    return _load_quietly(folder / "manifest.json")


# ------------------------------------------------------------------------------ brand images

ICON_SIZES: Final = {
    "icon.png": 256,
    "icon@2x.png": 512,
    "dark_icon.png": 256,
    "dark_icon@2x.png": 512,
}
LOGO_SHORT_SIDES: Final = {
    "logo.png": (128, 256),
    "logo@2x.png": (256, 512),
    "dark_logo.png": (128, 256),
    "dark_logo@2x.png": (256, 512),
}
REQUIRED_BRAND_IMAGES: Final = ("icon.png", "icon@2x.png", "logo.png", "logo@2x.png")
TRIM_TOLERANCE: Final = 2  # pixels of empty margin still counted as trimmed


def check_brand_images(root: Path) -> Problems:
    """Check brand/ against the brands rules: PNG, RGBA, sizes, trimmed."""
    folder = integration_dir(root) / "brand"
    problems: Problems = [
        f"{_rel(folder / n, root)}: missing"
        for n in REQUIRED_BRAND_IMAGES
        if not (folder / n).is_file()
    ]
    if not folder.is_dir():
        return problems
    for path in sorted(folder.iterdir()):
        name = _rel(path, root)
        if path.name not in ICON_SIZES and path.name not in LOGO_SHORT_SIDES:
            problems.append(f"{name}: not a brand image name (icon/logo[@2x], dark_ variants)")
            continue
        problems += [f"{name}: {p}" for p in _image_problems(path)]
    return problems


def _image_problems(path: Path) -> Problems:
    try:
        with Image.open(path) as image:
            image.load()
            fmt, mode, size = image.format, image.mode, image.size
            box = image.getchannel("A").getbbox() if mode == "RGBA" else None
    except (OSError, UnidentifiedImageError):
        return ["not a readable image"]
    if fmt != "PNG":
        return [f"must be a PNG, not {fmt}"]
    if mode != "RGBA":
        return [f"must be RGBA with transparency, not {mode}"]
    width, height = size
    problems: Problems = []
    if path.name in ICON_SIZES:
        side = ICON_SIZES[path.name]
        if size != (side, side):
            problems.append(f"must be {side}x{side}, not {width}x{height}")
    else:
        low, high = LOGO_SHORT_SIDES[path.name]
        if not low <= min(size) <= high:
            problems.append(f"shortest side must be {low} to {high} pixels, not {min(size)}")
    if box is None:
        problems.append("is fully transparent")
    elif not _trimmed(box, size):
        problems.append(f"is not trimmed: content {box} leaves empty margins in {width}x{height}")
    return problems


def _trimmed(box: tuple[int, int, int, int], size: tuple[int, int]) -> bool:
    """Tell whether the content reaches both edges along at least one axis."""
    left, top, right, bottom = box
    width, height = size
    spans_width = left <= TRIM_TOLERANCE and right >= width - TRIM_TOLERANCE
    spans_height = top <= TRIM_TOLERANCE and bottom >= height - TRIM_TOLERANCE
    return spans_width or spans_height


# ---------------------------------------------------------------------------- release files

ZIP_EXCLUDED_SUFFIXES: Final = (".pyc", ".pyo")
ZIP_DATE: Final = (1980, 1, 1, 0, 0, 0)


def integration_files(root: Path) -> list[Path]:
    """Return the files that ship in the integration archive, sorted."""
    folder = integration_dir(root)
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and not p.name.endswith(ZIP_EXCLUDED_SUFFIXES)
    )


def build_integration_zip(root: Path, destination: Path) -> list[str]:
    """Write the integration's files at the root of a zip (what HACS's zip_release unpacks).

    The archive is reproducible: sorted entries, fixed timestamps and permissions. Returns the
    names of the entries written.
    """
    folder = integration_dir(root)
    destination.parent.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in integration_files(root):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
            names.append(info.filename)
    return names


def check_dist(root: Path, dist: Path) -> Problems:
    """Check the built artifacts: one sdist, one wheel and the zip, all of this version."""
    version = project_version(root)
    if version is None:
        return ["pyproject.toml: [project] version is missing or unreadable"]
    wheel = dist / f"{LIBRARY}-{version}-py3-none-any.whl"
    sdist = dist / f"{LIBRARY}-{version}.tar.gz"
    archive = dist / ZIP_NAME
    problems: Problems = [
        f"{_rel(p, root)}: missing" for p in (wheel, sdist, archive) if not p.is_file()
    ]
    others = sorted(
        p.name
        for p in dist.glob("*")
        if p.is_file() and p not in {wheel, sdist, archive} and p.suffix in {".whl", ".gz", ".zip"}
    )
    problems += [f"{_rel(dist, root)}: unexpected artifact {n} (stale build?)" for n in others]
    if wheel.is_file():
        problems += _wheel_problems(wheel, root)
    if sdist.is_file():
        with tarfile.open(sdist) as tar:
            members = tar.getnames()
        problems += _unwanted(members, _rel(sdist, root))
    if archive.is_file():
        problems += _zip_problems(archive, root, version)
    return problems


def _wheel_problems(wheel: Path, root: Path) -> Problems:
    with zipfile.ZipFile(wheel) as archive:
        members = archive.namelist()
    name = _rel(wheel, root)
    problems = [
        f"{name}: {needed} is missing"
        for needed in (f"{LIBRARY}/__init__.py", f"{LIBRARY}/py.typed")
        if needed not in members
    ]
    return problems + _unwanted(members, name)


def _unwanted(members: Iterable[str], name: str) -> Problems:
    bad = sorted(
        m
        for m in members
        if any(
            part in {"loqed_emulator", "custom_components", "tests", "__pycache__"}
            for part in m.split("/")
        )
    )
    return [f"{name}: must not contain {m}" for m in bad]


def _zip_problems(archive: Path, root: Path, version: str) -> Problems:
    name = _rel(archive, root)
    with zipfile.ZipFile(archive) as bundle:
        members = bundle.namelist()
        manifest = json.loads(bundle.read("manifest.json")) if "manifest.json" in members else None
    if manifest is None:
        return [f"{name}: manifest.json must be at the root of the archive"]
    problems: Problems = []
    if manifest.get("version") != version:
        problems.append(f"{name}: manifest version {manifest.get('version')!r} is not {version}")
    return problems + _unwanted(members, name)


# -------------------------------------------------------------------------------------- CLI

CHECKS: Final[tuple[Check, ...]] = (
    check_hacs,
    check_manifest,
    check_versions,
    check_translations,
    check_code_translation_keys,
    check_icons,
    check_services,
    check_quality_scale,
    check_brand_images,
)


def run_checks(root: Path, tag: str | None = None) -> Problems:
    """Run every check on a repository tree and return all problems."""
    problems: Problems = []
    for check in CHECKS:
        problems += check(root)
    if tag is not None:
        problems += check_tag(root, tag)
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Run the checks, print the problems, and optionally build and verify the archive."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.release_checks", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    parser.add_argument("--tag", help="the release tag; must be v<version>")
    parser.add_argument("--zip", type=Path, help="after the checks pass, write the integration zip")
    parser.add_argument("--verify-dist", type=Path, help="check the built artifacts in this folder")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    problems = run_checks(root, args.tag)
    if not problems and args.zip is not None:
        entries = build_integration_zip(root, args.zip)
        sys.stdout.write(f"release: wrote {args.zip} ({len(entries)} files)\n")
    if not problems and args.verify_dist is not None:
        problems += check_dist(root, args.verify_dist)
    for problem in problems:
        sys.stdout.write(f"problem: {problem}\n")
    if problems:
        sys.stdout.write(f"release checks: {len(problems)} problem(s); nothing was released\n")
        return 1
    sys.stdout.write("release checks: ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
