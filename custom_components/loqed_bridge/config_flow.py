"""Config flow: local first, every path tested against the bridge before an entry is made.

Ways in: paste the "Integration information" JSON, type the values, import a built-in ``loqed``
entry, or one call to the LOQED cloud with a personal access token. Zeroconf and DHCP find new
bridges and keep the address of known ones up to date. Reauth and reconfigure keep the entry.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_API_TOKEN, CONF_HOST, CONF_NAME, CONF_PORT, CONF_WEBHOOK_ID
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from aioloqed import (
    DEFAULT_PORT,
    CloudLock,
    LoqedAuthenticationError,
    LoqedBridge,
    LoqedCloud,
    LoqedCredentials,
    LoqedCredentialsError,
    LoqedError,
    normalize_mac,
)

from .commands import lock_key_issue_id
from .const import (
    BUILTIN_DOMAIN,
    CONF_BRIDGE_KEY,
    CONF_BUILTIN_ENTRY,
    CONF_CALLBACK_URL,
    CONF_CONNECTION,
    CONF_FALLBACK_POLL_SECONDS,
    CONF_HANDLE_OUTSIDE,
    CONF_HEALTHY_POLL_MINUTES,
    CONF_INTEGRATION_INFORMATION,
    CONF_KEEP_TOKEN,
    CONF_KEY_NAMES,
    CONF_LOCAL_KEY_ID,
    CONF_LOCK,
    CONF_LOCK_ID,
    CONF_LOCK_KEY,
    CONF_TIMESTAMP_WINDOW,
    DOMAIN,
    LOGGER,
    MAX_FALLBACK_POLL_SECONDS,
    MAX_HEALTHY_POLL_MINUTES,
    MAX_TIMESTAMP_WINDOW,
    MIN_FALLBACK_POLL_SECONDS,
    MIN_HEALTHY_POLL_MINUTES,
    MIN_TIMESTAMP_WINDOW,
)
from .options import KeyNamesError, LoqedOptions, format_key_names, parse_key_names

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
    from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

API_CONFIG_URL: Final = "https://app.loqed.com/API-Config"
TOKEN_URL: Final = "https://integrations.loqed.com/personal-access-tokens"  # noqa: S105 - a page

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_TEXT = TextSelector()
_KEY_ID = NumberSelector(NumberSelectorConfig(mode=NumberSelectorMode.BOX, step=1))

PASTE_SCHEMA: Final = vol.Schema(
    {vol.Required(CONF_INTEGRATION_INFORMATION): TextSelector(TextSelectorConfig(multiline=True))}
)
MANUAL_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_HOST): _TEXT,
        vol.Required(CONF_BRIDGE_KEY): _PASSWORD,
        vol.Required(CONF_LOCK_KEY): _PASSWORD,
        vol.Required(CONF_LOCAL_KEY_ID): _KEY_ID,
    }
)
CLOUD_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_API_TOKEN): _PASSWORD,
        vol.Optional(CONF_KEEP_TOKEN, default=False): BooleanSelector(),
    }
)
REAUTH_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_BRIDGE_KEY): _PASSWORD,
        vol.Required(CONF_LOCK_KEY): _PASSWORD,
        vol.Required(CONF_LOCAL_KEY_ID): _KEY_ID,
    }
)
RECONFIGURE_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_HOST): _TEXT,
        vol.Optional(CONF_BRIDGE_KEY): _PASSWORD,
        vol.Optional(CONF_LOCK_KEY): _PASSWORD,
        vol.Required(CONF_LOCAL_KEY_ID): _KEY_ID,
    }
)

# Which form field a credentials problem belongs to, by the field name the library reports.
_FIELD_ERRORS: Final[dict[str, tuple[str, str]]] = {
    "host": (CONF_HOST, "invalid_host"),
    "port": (CONF_HOST, "invalid_host"),
    "bridge_key": (CONF_BRIDGE_KEY, "invalid_key_format"),
    "lock_key": (CONF_LOCK_KEY, "invalid_key_format"),
    "local_key_id": (CONF_LOCAL_KEY_ID, "invalid_key_id"),
}


class FlowError(Exception):
    """A form error: translation key and the field it belongs to (``base`` for the form)."""

    def __init__(
        self, error: str, field: str = "base", placeholders: Mapping[str, str] | None = None
    ) -> None:
        """Store the error key, its field and its placeholders."""
        super().__init__(error)
        self.error = error
        self.field = field
        self.placeholders = dict(placeholders or {})


def _problem_placeholders(err: LoqedCredentialsError) -> dict[str, str]:
    return {"field": err.field, "problem": err.reason.value.replace("_", " ")}


def _information_error(err: LoqedCredentialsError) -> FlowError:
    """Report a problem in pasted or received JSON, naming the wrong field in the message."""
    return FlowError("invalid_json", CONF_INTEGRATION_INFORMATION, _problem_placeholders(err))


def _pasted_credentials(text: str) -> LoqedCredentials:
    """Read pasted "Integration information"; a problem names the wrong field."""
    try:
        return LoqedCredentials.from_integration_information(text)
    except LoqedCredentialsError as err:
        raise _information_error(err) from err


def _typed_error(err: LoqedCredentialsError) -> FlowError:
    """Report a problem in typed values on the field that is wrong."""
    field, error = _FIELD_ERRORS.get(err.field, ("base", "invalid_key_format"))
    return FlowError(error, field, _problem_placeholders(err))


def _key_id(value: float) -> int | str:
    """Pass a number box's value on as the library expects it (it checks the range)."""
    return int(value) if value.is_integer() else str(value)


def _typed_credentials(
    user_input: Mapping[str, Any], *, host: str, port: int | None, bridge_key: str, lock_key: str
) -> LoqedCredentials:
    try:
        return LoqedCredentials.from_values(
            host=host,
            port=port,
            bridge_key=bridge_key,
            lock_key=lock_key,
            local_key_id=_key_id(user_input[CONF_LOCAL_KEY_ID]),
        )
    except LoqedCredentialsError as err:
        raise _typed_error(err) from err


def mac_from_name(name: str) -> str | None:
    """Return the Wi-Fi MAC in a bridge's mDNS name ``LOQED-<mac>...``, if it carries one."""
    head = name.split(".", 1)[0]
    prefix, _, rest = head.partition("-")
    if prefix.lower() != "loqed":
        return None
    try:
        return normalize_mac(rest)
    except ValueError:
        return None


def _host_with_port(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == DEFAULT_PORT else f"{shown}:{port}"


def _entry_data(
    credentials: LoqedCredentials, webhook_id: str, name: str, token: str | None = None
) -> dict[str, Any]:
    token_data = {CONF_API_TOKEN: token} if token else {}
    return {
        **token_data,
        **_key_data(credentials),
        CONF_LOCK_ID: credentials.lock_id,
        CONF_NAME: name,
        CONF_WEBHOOK_ID: webhook_id,
    }


def _key_data(credentials: LoqedCredentials) -> dict[str, Any]:
    return {
        CONF_HOST: credentials.host,
        CONF_PORT: credentials.port,
        CONF_BRIDGE_KEY: credentials.bridge_key,
        CONF_LOCK_KEY: credentials.lock_key,
        CONF_LOCAL_KEY_ID: credentials.local_key_id,
    }


class LoqedBridgeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one LOQED bridge (and its lock)."""

    VERSION = 1
    MINOR_VERSION = 2

    def __init__(self) -> None:
        """Start with nothing discovered and no cloud answer."""
        self._discovered: tuple[str, int | None] | None = None
        self._cloud_token: str | None = None
        self._keep_token = False
        self._cloud_locks: list[CloudLock] = []

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> LoqedOptionsFlow:  # noqa: ARG004
        """Options: callback URL override and webhook timestamp window."""
        return LoqedOptionsFlow()

    # ------------------------------------------------------------------ shared

    async def _async_validate(self, credentials: LoqedCredentials) -> str:
        """Check the bridge and the bridge key; return the bridge's unique id (its Wi-Fi MAC).

        The lock key cannot be checked without moving the lock.
        """
        bridge = LoqedBridge.from_credentials(
            credentials, session=async_get_clientsession(self.hass)
        )
        try:
            status = await bridge.status()
            await bridge.webhooks()
        except LoqedAuthenticationError as err:
            raise FlowError("invalid_bridge_key", CONF_BRIDGE_KEY) from err
        except LoqedError as err:
            LOGGER.debug("Bridge check failed: %s", err)
            raise FlowError("cannot_connect") from err
        if unique_id := status.bridge_mac_wifi or credentials.mac_from_mdns:
            return unique_id
        raise FlowError("not_a_bridge")

    async def _async_create(
        self,
        credentials: LoqedCredentials,
        *,
        name: str | None = None,
        token: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        """Validate, then create the entry (or update the address of the known bridge)."""
        unique_id = await self._async_validate(credentials)
        await self.async_set_unique_id(unique_id, raise_on_progress=False)
        self._abort_if_unique_id_configured(
            updates={CONF_HOST: credentials.host, CONF_PORT: credentials.port}
        )
        title = name or credentials.name or f"LOQED {unique_id[-6:].upper()}"
        return self.async_create_entry(
            title=title,
            data=_entry_data(credentials, webhook.async_generate_id(), title, token),
            options=dict(options or {}),
        )

    def _form(
        self,
        step_id: str,
        schema: vol.Schema,
        user_input: Mapping[str, Any] | None,
        error: FlowError | None,
        placeholders: Mapping[str, str] | None = None,
    ) -> ConfigFlowResult:
        """Show a form again with what the user typed (minus secrets) and the error."""
        shown = {
            key: value
            for key, value in (user_input or {}).items()
            if key not in (CONF_BRIDGE_KEY, CONF_LOCK_KEY, CONF_API_TOKEN)
        }
        all_placeholders = {
            "api_config_url": API_CONFIG_URL,
            "token_url": TOKEN_URL,
            "field": "",
            "problem": "",
            **(placeholders or {}),
        }
        if error is not None:
            all_placeholders.update(error.placeholders)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors={error.field: error.error} if error is not None else None,
            description_placeholders=all_placeholders,
        )

    # ------------------------------------------------------------------ user

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:  # noqa: ARG002
        """Choose how to give the keys."""
        options = ["paste", "manual"]
        if self.hass.config_entries.async_entries(BUILTIN_DOMAIN, include_ignore=False):
            options.append("import_builtin")
        options.append("cloud")
        return self.async_show_menu(step_id="user", menu_options=options)

    async def async_step_paste(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Paste the "Integration information" JSON from app.loqed.com/API-Config."""
        error: FlowError | None = None
        if user_input is not None:
            try:
                credentials = _pasted_credentials(user_input[CONF_INTEGRATION_INFORMATION])
                return await self._async_create(credentials)
            except FlowError as err:
                error = _paste_error(err)
        return self._form("paste", PASTE_SCHEMA, user_input, error)

    async def async_step_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Type the bridge address, both keys and the key id."""
        error: FlowError | None = None
        if user_input is not None:
            try:
                credentials = _typed_credentials(
                    user_input,
                    host=user_input[CONF_HOST],
                    port=None,
                    bridge_key=user_input[CONF_BRIDGE_KEY],
                    lock_key=user_input[CONF_LOCK_KEY],
                )
                return await self._async_create(credentials)
            except FlowError as err:
                error = err
        return self._form("manual", MANUAL_SCHEMA, user_input, error)

    async def async_step_import_builtin(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take the keys of an entry of Home Assistant's built-in LOQED integration."""
        entries = {
            entry.entry_id: entry
            for entry in self.hass.config_entries.async_entries(
                BUILTIN_DOMAIN, include_ignore=False
            )
        }
        if not entries:
            return self.async_abort(reason="no_builtin_entries")
        error: FlowError | None = None
        if user_input is not None:
            if (entry := entries.get(user_input[CONF_BUILTIN_ENTRY])) is None:
                # Removed while this form was open.
                return self.async_abort(reason="no_builtin_entries")
            data = entry.data
            try:
                credentials = LoqedCredentials.from_integration_information(
                    {**data, "lock_id": data.get("id")}
                )
            except LoqedCredentialsError as err:
                error = FlowError("invalid_json", "base", _problem_placeholders(err))
            else:
                try:
                    return await self._async_create(
                        credentials, name=data.get(CONF_NAME) or entry.title
                    )
                except FlowError as err:
                    error = _paste_error(err)
        schema = vol.Schema(
            {
                vol.Required(CONF_BUILTIN_ENTRY): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=entry_id, label=entry.title)
                            for entry_id, entry in entries.items()
                        ]
                    )
                )
            }
        )
        return self._form("import_builtin", schema, user_input, error)

    async def async_step_cloud(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One call to the LOQED cloud with a personal access token, local from then on."""
        error: FlowError | None = None
        if user_input is not None:
            token = user_input[CONF_API_TOKEN].strip()
            self._keep_token = bool(user_input.get(CONF_KEEP_TOKEN))
            try:
                if token != self._cloud_token or not self._cloud_locks:
                    self._cloud_locks = await self._async_cloud_locks(token)
                    self._cloud_token = token
                if len(self._cloud_locks) > 1:
                    return await self.async_step_pick_lock()
                return await self._async_create_from_cloud(self._cloud_locks[0])
            except FlowError as err:
                error = _paste_error(err)
        return self._form("cloud", CLOUD_SCHEMA, user_input, error)

    async def _async_cloud_locks(self, token: str) -> list[CloudLock]:
        try:
            cloud = LoqedCloud(token=token, session=async_get_clientsession(self.hass))
            locks = await cloud.locks()
        except (LoqedAuthenticationError, LoqedCredentialsError) as err:
            raise FlowError("invalid_token", CONF_API_TOKEN) from err
        except LoqedError as err:
            LOGGER.debug("Cloud lock list failed: %s", err)
            raise FlowError("cannot_connect_cloud") from err
        if not locks:
            raise FlowError("no_locks")
        return locks

    async def _async_create_from_cloud(self, lock: CloudLock) -> ConfigFlowResult:
        try:
            credentials = lock.credentials()
        except LoqedCredentialsError as err:
            raise FlowError("invalid_json", "base", _problem_placeholders(err)) from err
        return await self._async_create(
            credentials,
            name=lock.name or None,
            # Kept only when the user asked for the lock settings switches.
            token=self._cloud_token if self._keep_token else None,
            # The cloud knows whether "open" does more than unlock on this door.
            options={CONF_HANDLE_OUTSIDE: not lock.supports_open},
        )

    async def async_step_pick_lock(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick one of the account's locks."""
        locks = {lock.id: lock for lock in self._cloud_locks}
        error: FlowError | None = None
        if user_input is not None:
            try:
                # The selector only lets through the ids offered.
                return await self._async_create_from_cloud(locks[user_input[CONF_LOCK]])
            except FlowError as err:
                error = _paste_error(err)
        schema = vol.Schema(
            {
                vol.Required(CONF_LOCK): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=lock.id, label=lock.name or lock.id)
                            for lock in self._cloud_locks
                        ]
                    )
                )
            }
        )
        return self._form("pick_lock", schema, user_input, error)

    # ------------------------------------------------------------------ discovery

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """Handle a bridge that announced itself over mDNS (``LOQED-<mac>._http._tcp.local.``)."""
        host = discovery_info.host
        port = discovery_info.port or DEFAULT_PORT
        mac = mac_from_name(discovery_info.name) or mac_from_name(discovery_info.hostname)
        if mac is None:
            bridge = LoqedBridge(host=host, port=port, session=async_get_clientsession(self.hass))
            try:
                status = await bridge.status()
            except LoqedError:
                return self.async_abort(reason="cannot_connect")
            if (mac := status.bridge_mac_wifi) is None:
                return self.async_abort(reason="not_a_bridge")
        return await self._async_discovered(mac, host, port)

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """Handle a bridge that asked for an address (its DHCP MAC is the Wi-Fi MAC)."""
        try:
            mac = normalize_mac(discovery_info.macaddress)
        except ValueError:
            return self.async_abort(reason="not_a_bridge")
        return await self._async_discovered(mac, discovery_info.ip, None)

    async def _async_discovered(self, mac: str, host: str, port: int | None) -> ConfigFlowResult:
        await self.async_set_unique_id(mac)
        updates: dict[str, Any] = {CONF_HOST: host}
        if port is not None:
            updates[CONF_PORT] = port
        self._abort_if_unique_id_configured(updates=updates)
        self._discovered = (host, port)
        self.context["title_placeholders"] = {"name": f"LOQED {mac[-6:].upper()}", "host": host}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the "Integration information" of the bridge that was found."""
        assert self._discovered is not None  # noqa: S101 - set by the discovery steps
        host, port = self._discovered
        error: FlowError | None = None
        if user_input is not None:
            try:
                credentials = _pasted_credentials(user_input[CONF_INTEGRATION_INFORMATION])
                # The address where the bridge was found is newer than the one in the JSON.
                credentials = replace(credentials, host=host, port=port or credentials.port)
                return await self._async_create(credentials)
            except FlowError as err:
                error = _paste_error(err)
        return self._form(
            "discovery_confirm",
            PASTE_SCHEMA,
            user_input,
            error,
            {"host": _host_with_port(host, port or DEFAULT_PORT)},
        )

    # ------------------------------------------------------------------ reauth / reconfigure

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:  # noqa: ARG002
        """Start over with the keys: the bridge refused one, or the lock ignores the other."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter both keys and the key id again."""
        entry = self._get_reauth_entry()
        error: FlowError | None = None
        if user_input is not None:
            try:
                credentials = _typed_credentials(
                    user_input,
                    host=entry.data[CONF_HOST],
                    port=entry.data[CONF_PORT],
                    bridge_key=user_input[CONF_BRIDGE_KEY],
                    lock_key=user_input[CONF_LOCK_KEY],
                )
                return await self._async_update_entry(entry, credentials)
            except FlowError as err:
                error = err
        shown = user_input or {CONF_LOCAL_KEY_ID: entry.data[CONF_LOCAL_KEY_ID]}
        return self._form(
            "reauth_confirm",
            REAUTH_SCHEMA,
            shown,
            error,
            {"name": entry.title, "api_config_url": API_CONFIG_URL},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address or the keys; empty key fields keep the stored keys."""
        entry = self._get_reconfigure_entry()
        data = entry.data
        error: FlowError | None = None
        if user_input is not None:
            try:
                credentials = _typed_credentials(
                    user_input,
                    host=user_input[CONF_HOST],
                    port=None,
                    bridge_key=user_input.get(CONF_BRIDGE_KEY) or data[CONF_BRIDGE_KEY],
                    lock_key=user_input.get(CONF_LOCK_KEY) or data[CONF_LOCK_KEY],
                )
                return await self._async_update_entry(entry, credentials)
            except FlowError as err:
                error = err
        shown = user_input or {
            CONF_HOST: _host_with_port(data[CONF_HOST], data[CONF_PORT]),
            CONF_LOCAL_KEY_ID: data[CONF_LOCAL_KEY_ID],
        }
        return self._form("reconfigure", RECONFIGURE_SCHEMA, shown, error, {"name": entry.title})

    async def _async_update_entry(
        self, entry: ConfigEntry, credentials: LoqedCredentials
    ) -> ConfigFlowResult:
        unique_id = await self._async_validate(credentials)
        await self.async_set_unique_id(unique_id)
        self._abort_if_unique_id_mismatch(reason="wrong_bridge")
        ir.async_delete_issue(self.hass, DOMAIN, lock_key_issue_id(entry.entry_id))
        if self.source == SOURCE_RECONFIGURE:
            return self.async_update_reload_and_abort(entry, data_updates=_key_data(credentials))
        keys = _key_data(credentials)
        del keys[CONF_HOST], keys[CONF_PORT]
        return self.async_update_reload_and_abort(entry, data_updates=keys)


def _paste_error(err: FlowError) -> FlowError:
    """On the paste forms, bridge-key problems belong to the form, not a field."""
    if err.field == CONF_BRIDGE_KEY:
        return FlowError(err.error, "base", err.placeholders)
    return err


def _number(low: int, high: int, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=low, max=high, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement=unit
        )
    )


def _options_schema() -> vol.Schema:
    """Build the options form (anew each time: suggested values are written into it)."""
    return vol.Schema(
        {
            vol.Optional(CONF_KEY_NAMES): TextSelector(TextSelectorConfig(multiline=True)),
            vol.Required(CONF_HANDLE_OUTSIDE): BooleanSelector(),
            vol.Required(CONF_CONNECTION): section(
                vol.Schema(
                    {
                        vol.Optional(CONF_CALLBACK_URL): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.URL)
                        ),
                        vol.Required(CONF_TIMESTAMP_WINDOW): _number(
                            MIN_TIMESTAMP_WINDOW, MAX_TIMESTAMP_WINDOW, "s"
                        ),
                        vol.Required(CONF_HEALTHY_POLL_MINUTES): _number(
                            MIN_HEALTHY_POLL_MINUTES, MAX_HEALTHY_POLL_MINUTES, "min"
                        ),
                        vol.Required(CONF_FALLBACK_POLL_SECONDS): _number(
                            MIN_FALLBACK_POLL_SECONDS, MAX_FALLBACK_POLL_SECONDS, "s"
                        ),
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _shown_options(options: LoqedOptions) -> dict[str, Any]:
    return {
        CONF_KEY_NAMES: format_key_names(options.key_names),
        CONF_HANDLE_OUTSIDE: options.handle_outside,
        CONF_CONNECTION: {
            CONF_CALLBACK_URL: options.callback_url or "",
            CONF_TIMESTAMP_WINDOW: options.timestamp_window,
            CONF_HEALTHY_POLL_MINUTES: int(options.healthy_interval.total_seconds() // 60),
            CONF_FALLBACK_POLL_SECONDS: int(options.fallback_interval.total_seconds()),
        },
    }


class LoqedOptionsFlow(OptionsFlow):
    """Key names, the door's handle, and how the bridge reaches Home Assistant."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and check the options."""
        errors: dict[str, str] = {}
        placeholders = {"line": "", "example": "3=Anna's phone"}
        if user_input is not None:
            connection = user_input[CONF_CONNECTION]
            url = str(connection.get(CONF_CALLBACK_URL) or "").strip()
            names: dict[int, str] = {}
            try:
                names = parse_key_names(str(user_input.get(CONF_KEY_NAMES) or ""))
            except KeyNamesError as err:
                errors[CONF_KEY_NAMES] = err.error
                placeholders["line"] = str(err.line)
            if url and not _valid_callback_base(url):
                errors["base"] = "invalid_url"
            if not errors:
                new_options: dict[str, Any] = {
                    CONF_KEY_NAMES: {str(key): name for key, name in names.items()},
                    CONF_HANDLE_OUTSIDE: bool(user_input[CONF_HANDLE_OUTSIDE]),
                    CONF_TIMESTAMP_WINDOW: int(connection[CONF_TIMESTAMP_WINDOW]),
                    CONF_HEALTHY_POLL_MINUTES: int(connection[CONF_HEALTHY_POLL_MINUTES]),
                    CONF_FALLBACK_POLL_SECONDS: int(connection[CONF_FALLBACK_POLL_SECONDS]),
                }
                if url:
                    new_options[CONF_CALLBACK_URL] = url.rstrip("/")
                return self.async_create_entry(data=new_options)
        shown = user_input or _shown_options(LoqedOptions.from_mapping(self.config_entry.options))
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(_options_schema(), shown),
            errors=errors,
            description_placeholders=placeholders,
        )


def _valid_callback_base(url: str) -> bool:
    """Check for an http(s) URL with a host and no query or fragment (the path is appended)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    del port
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not parts.query
        and not parts.fragment
        and not any(ch.isspace() for ch in url)
    )
