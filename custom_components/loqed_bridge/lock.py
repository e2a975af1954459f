"""The lock entity: night lock = locked, day lock = unlocked, open, the motions, jammed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.lock import LockEntity, LockEntityDescription, LockEntityFeature
from homeassistant.core import HomeAssistant, callback

from aioloqed import BoltState, LockAction, Motion

from .const import LOCK_ENTITY_KEY
from .entity import LoqedEntity

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LoqedConfigEntry, LoqedCoordinator
    from .options import LoqedOptions

# Commands are serialised per lock by the commander; locks of different bridges run in parallel.
PARALLEL_UPDATES = 0

LOCK_DESCRIPTION = LockEntityDescription(key=LOCK_ENTITY_KEY, translation_key="lock", name=None)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: LoqedConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the lock of this bridge."""
    async_add_entities([LoqedLock(entry.runtime_data, LOCK_DESCRIPTION)])


class LoqedLock(LoqedEntity, LockEntity):
    """The LOQED Touch Smart Lock.

    Its state is read straight from the coordinator's data when Home Assistant writes it: a
    webhook's change reaches the state machine with the least work in between. Every change
    (data, a command in flight, options) comes through ``_handle_coordinator_update``, which
    first takes what several properties share (:meth:`_follow_coordinator`).
    """

    _attr_name = None
    """The lock is its device's main feature: it takes the device's name (as its description
    says), and Home Assistant needs no translation lookup to know that on each state write."""

    _motion: Motion | None
    """Our command in flight, else the motion the lock reported (three properties read it)."""

    def __init__(self, coordinator: LoqedCoordinator, description: LockEntityDescription) -> None:
        """Describe the lock and take its first state from the coordinator."""
        super().__init__(coordinator, description)
        self._options: LoqedOptions | None = None
        self._follow_coordinator()

    def _follow_coordinator(self) -> None:
        """Take the motion shown, and the features when the options changed (once per update)."""
        coordinator = self.coordinator
        self._motion = coordinator.commander.motion or coordinator.data.lock.motion
        options = coordinator.options
        if options is not self._options:
            # Open the latch, unless the door has a handle outside (then it only unlocks).
            self._options = options
            self._attr_supported_features = (
                LockEntityFeature(0) if options.handle_outside else LockEntityFeature.OPEN
            )

    @property
    def available(self) -> bool:
        """Available while the bridge answers and the lock is connected to it."""
        # The coordinator entity's rule (the last update succeeded), read here without a call.
        coordinator = self.coordinator
        return coordinator.last_update_success and coordinator.data.lock_online is not False

    @property
    def is_locked(self) -> bool | None:
        """Night lock; ``None`` while the bolt state is not known."""
        bolt = self.coordinator.data.lock.bolt_state
        return None if bolt is BoltState.UNKNOWN else bolt is BoltState.NIGHT_LOCK

    @property
    def is_open(self) -> bool:
        """The latch is pulled."""
        return self.coordinator.data.lock.bolt_state is BoltState.OPEN

    @property
    def is_jammed(self) -> bool:
        """The motor stalled and no definite state was reached since."""
        return self.coordinator.data.lock.jammed

    @property
    def is_opening(self) -> bool:
        """Going to open."""
        return self._motion is Motion.OPENING

    @property
    def is_unlocking(self) -> bool:
        """Going to day lock."""
        return self._motion is Motion.UNLOCKING

    @property
    def is_locking(self) -> bool:
        """Going to night lock."""
        return self._motion is Motion.LOCKING

    @property
    def changed_by(self) -> str | None:
        """Who moved the lock last: the key's name, ``Key 3``, or the source (``manual``...)."""
        coordinator = self.coordinator
        lock = coordinator.data.lock
        if (key_id := lock.key_id) is not None:
            return coordinator.key_name(key_id) or f"Key {key_id}"
        # A source is a ``StrEnum``: ``str`` gives its value without a Python-level call.
        return None if lock.source is None else str(lock.source)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._follow_coordinator()
        coordinator = self.coordinator
        if (
            coordinator.data.lock.key_id != coordinator.bridge.local_key_id
            and coordinator.commander.motion is None
        ):
            # Someone else moved the lock (at the door, another key): this change is not the
            # result of the last action called on this entity, so do not credit it to that call.
            self._context = None
        # Every update is written (no "unchanged" check as for the other entities): straight on.
        self.async_write_ha_state()

    async def async_lock(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Go to night lock."""
        await self.coordinator.commander.async_run(LockAction.LOCK)

    async def async_unlock(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Go to day lock."""
        await self.coordinator.commander.async_run(LockAction.UNLOCK)

    async def async_open(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Pull the latch; the lock returns to day lock by itself."""
        await self.coordinator.commander.async_run(LockAction.OPEN)
