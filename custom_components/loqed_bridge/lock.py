"""The lock entity: night lock = locked, day lock = unlocked, open, the motions, jammed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.lock import LockEntity, LockEntityDescription, LockEntityFeature
from homeassistant.core import HomeAssistant, callback

from aioloqed import BoltState, LockAction, Motion

from .entity import LoqedEntity

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LoqedConfigEntry, LoqedCoordinator

# Commands are serialised per lock by the commander; locks of different bridges run in parallel.
PARALLEL_UPDATES = 0

LOCK_DESCRIPTION = LockEntityDescription(key="lock", translation_key="lock", name=None)


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
    """The LOQED Touch Smart Lock."""

    def __init__(self, coordinator: LoqedCoordinator, description: LockEntityDescription) -> None:
        """Set the first state from the coordinator."""
        super().__init__(coordinator, description)
        self._update_from_data()

    @property
    def available(self) -> bool:
        """Available while the bridge answers and the lock is connected to it."""
        return super().available and self.coordinator.data.lock_online is not False

    @callback
    def _handle_coordinator_update(self) -> None:
        self._update_from_data()
        coordinator = self.coordinator
        if (
            coordinator.data.lock.key_id != coordinator.bridge.local_key_id
            and coordinator.commander.motion is None
        ):
            # Someone else moved the lock (at the door, another key): this change is not the
            # result of the last action called on this entity, so do not credit it to that call.
            self._context = None
        super()._handle_coordinator_update()

    def _update_from_data(self) -> None:
        coordinator = self.coordinator
        # On a door with a handle outside, "open" does nothing more than unlock.
        self._attr_supported_features = (
            LockEntityFeature(0) if coordinator.options.handle_outside else LockEntityFeature.OPEN
        )
        lock = coordinator.data.lock
        motion = coordinator.commander.motion or lock.motion
        bolt = lock.bolt_state
        self._attr_is_locked = None if bolt is BoltState.UNKNOWN else bolt is BoltState.NIGHT_LOCK
        self._attr_is_open = bolt is BoltState.OPEN
        self._attr_is_jammed = lock.jammed
        self._attr_is_opening = motion is Motion.OPENING
        self._attr_is_unlocking = motion is Motion.UNLOCKING
        self._attr_is_locking = motion is Motion.LOCKING
        self._attr_changed_by = changed_by(
            lock.key_id,
            lock.source.value if lock.source is not None else None,
            coordinator.key_name(lock.key_id),
        )

    async def async_lock(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Go to night lock."""
        await self.coordinator.commander.async_run(LockAction.LOCK)

    async def async_unlock(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Go to day lock."""
        await self.coordinator.commander.async_run(LockAction.UNLOCK)

    async def async_open(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Pull the latch; the lock returns to day lock by itself."""
        await self.coordinator.commander.async_run(LockAction.OPEN)
