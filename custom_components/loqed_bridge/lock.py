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

    from .coordinator import LoqedConfigEntry

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


def changed_by(key_id: int | None, source: str | None, name: str | None = None) -> str | None:
    """Say who moved the lock last: the key's name, ``Key 3``, or the source (``manual``...)."""
    if key_id is not None:
        return name or f"Key {key_id}"
    return source


class LoqedLock(LoqedEntity, LockEntity):
    """The LOQED Touch Smart Lock.

    Its state is read straight from the coordinator's data when Home Assistant writes it (no
    copies into ``_attr_*`` first): a webhook's change reaches the state machine with the least
    work in between.
    """

    _attr_name = None
    """The lock is its device's main feature: it takes the device's name (as its description
    says), and Home Assistant needs no translation lookup to know that on each state write."""

    @property
    def available(self) -> bool:
        """Available while the bridge answers and the lock is connected to it."""
        return super().available and self.coordinator.data.lock_online is not False

    @property
    def supported_features(self) -> LockEntityFeature:
        """Open the latch, unless the door has a handle outside (then it only unlocks)."""
        if self.coordinator.options.handle_outside:
            return LockEntityFeature(0)
        return LockEntityFeature.OPEN

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
    def _motion(self) -> Motion | None:
        """Our command in flight, else the motion the lock reported."""
        coordinator = self.coordinator
        return coordinator.commander.motion or coordinator.data.lock.motion

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
        """Who moved the lock last."""
        coordinator = self.coordinator
        lock = coordinator.data.lock
        source = lock.source
        return changed_by(
            lock.key_id,
            None if source is None else source.value,
            coordinator.key_name(lock.key_id),
        )

    @callback
    def _handle_coordinator_update(self) -> None:
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
