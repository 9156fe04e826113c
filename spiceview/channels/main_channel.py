"""The main channel: the first to link; it hears the session id, the channel list, mouse modes, the server's
name, the guest agent's traffic and migration, and tells its SpiceSession, which owns what is session-wide."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..protocol.agent.display_settings import DisplaySettings
from ..protocol.constants import ChannelType, MainCap, MouseMode
from ..protocol.liveness import Liveness, LivenessCheck
from ..protocol.messages import main as mainmsg
from ..protocol.messages.classes import (
    MsgcMainAttachChannels,
    MsgcMainMigrateConnectError,
    MsgcMainMouseModeRequest,
    MsgMainAgentConnected,
    MsgMainAgentConnectedTokens,
    MsgMainAgentData,
    MsgMainAgentDisconnected,
    MsgMainAgentToken,
    MsgMainChannelsList,
    MsgMainInit,
    MsgMainMigrateBegin,
    MsgMainMigrateBeginSeamless,
    MsgMainMigrateCancel,
    MsgMainMigrateEnd,
    MsgMainMigrateSwitchHost,
    MsgMainMouseMode,
    MsgMainMultiMediaTime,
    MsgMainName,
    MsgMainUuid,
)
from ..transport.errors import TransportError
from .channel_base import ChannelBase
from .signals import Signal

if TYPE_CHECKING:
    from .agent_link import AgentLink
    from .spice_session import SpiceSession

NO_PORT = 0xFFFF  # what a server's u16 port field holds for "none" (QEMU sends -1 for a missing TLS port)
# The server probed after this much silence, "not answering" after the probe's wait, given up after LOST_AFTER_S.
PROBE_AFTER_S = 0.8
ANSWER_WITHIN_S = 0.7
LOST_AFTER_S = 15.0


class MainChannel(ChannelBase):
    channel_type = ChannelType.MAIN
    session: SpiceSession

    name_changed = Signal(str)
    uuid_changed = Signal(str)
    mouse_mode_changed = Signal(int)
    answering_changed = Signal(bool)  # False: the server has stopped answering (the network may be down)

    def __init__(
        self,
        session: SpiceSession,
        display_settings: DisplaySettings | None = None,
        max_clipboard: int | None = None,
        *,
        with_agent: bool = True,
    ) -> None:
        super().__init__(session, 0)
        self.handlers.update(
            {
                mainmsg.MSG_INIT: self._on_init,
                mainmsg.MSG_CHANNELS_LIST: self._on_channels_list,
                mainmsg.MSG_NAME: self._on_name,
                mainmsg.MSG_UUID: self._on_uuid,
                mainmsg.MSG_MOUSE_MODE: self._on_mouse_mode,
                mainmsg.MSG_MULTI_MEDIA_TIME: self._on_mm_time,
                mainmsg.MSG_AGENT_CONNECTED: self._on_agent_connected,
                mainmsg.MSG_AGENT_CONNECTED_TOKENS: self._on_agent_connected_tokens,
                mainmsg.MSG_AGENT_DISCONNECTED: self._on_agent_disconnected,
                mainmsg.MSG_AGENT_TOKEN: self._on_agent_token,
                mainmsg.MSG_AGENT_DATA: self._on_agent_data,
                mainmsg.MSG_MIGRATE_BEGIN: self._on_migrate_begin,
                mainmsg.MSG_MIGRATE_BEGIN_SEAMLESS: self._on_migrate_begin,
                mainmsg.MSG_MIGRATE_CANCEL: self._on_migrate_cancel,
                mainmsg.MSG_MIGRATE_SWITCH_HOST: self._on_switch_host,
                mainmsg.MSG_MIGRATE_END: self._on_migrate_end,
            }
        )
        self.agent: AgentLink | None = None
        if with_agent:
            from .agent_link import AgentLink  # the agent's protocol modules load only when wanted

            self.agent = AgentLink(self, display_settings, max_clipboard)
        self.server_name = ""
        self.server_uuid = ""
        self.mouse_mode = MouseMode.SERVER
        self.supported_mouse_modes = MouseMode.SERVER
        self.agent_connected = False
        self.agent_tokens = 0
        self.liveness = LivenessCheck(PROBE_AFTER_S, ANSWER_WITHIN_S, LOST_AFTER_S)
        self._bytes_seen = 0

    def channel_caps(self) -> frozenset[int]:
        return frozenset(
            {
                MainCap.SEMI_SEAMLESS_MIGRATE,
                MainCap.NAME_AND_UUID,
                MainCap.AGENT_CONNECTED_TOKENS,
                MainCap.SEAMLESS_MIGRATE,
            }
        )

    # --- is the server still there (protocol/liveness.py) ------------------------------------------------

    def on_up(self) -> None:
        self.liveness = LivenessCheck(PROBE_AFTER_S, ANSWER_WITHIN_S, LOST_AFTER_S, last_heard=time.monotonic())
        self._bytes_seen = self.session.bytes_received()
        self._schedule_liveness()

    def on_moved(self) -> None:
        self.on_up()  # a new connection (a migration's destination): watch it from now

    def on_batch_done(self) -> None:
        # Any channel's bytes say the server is there: while the display draws, the main channel is quiet and a
        # probe a second would only cost wake-ups.
        received = self.session.bytes_received()
        if received != self._bytes_seen:
            self._bytes_seen = received
            self.liveness.heard(time.monotonic())
            if self.liveness.probe_sent is None:
                self._schedule_liveness()

    def _schedule_liveness(self) -> None:
        if self.loop is not None:
            self.loop.set_timer(self.liveness.next_check(), self._check_liveness, "liveness")

    def _check_liveness(self) -> None:
        """On the channel thread, when the liveness check wants to look."""
        self.on_batch_done()  # bytes that arrived since the last batch count
        now = time.monotonic()
        action = self.liveness.poll(now)
        if action is Liveness.PROBE:
            self.send(MsgcMainAttachChannels())  # always answered with the channel list
        elif action is Liveness.STALLED:
            self.log.info("no answer from the server for %.1f s", self.liveness.silent_for(now))
            self.answering_changed.emit(False)
        elif action is Liveness.RECOVERED:
            self.log.info("the server answers again")
            self.answering_changed.emit(True)
        elif action is Liveness.LOST:
            raise TransportError(f"no answer from the server for {LOST_AFTER_S:.0f} s (is the network down?)")
        self._schedule_liveness()

    # --- the session -------------------------------------------------------------------------------------

    def _on_init(self, msg: MsgMainInit) -> None:
        self.session.begin(msg.session_id, msg.multi_media_time, msg.ram_hint)
        self.supported_mouse_modes = MouseMode(msg.supported_mouse_modes & 3)
        self.mouse_mode = MouseMode(msg.current_mouse_mode & 3) or MouseMode.SERVER
        self.agent_connected = bool(msg.agent_connected)
        self.agent_tokens = msg.agent_tokens
        if self.supported_mouse_modes & MouseMode.CLIENT and self.mouse_mode != MouseMode.CLIENT:
            self.send(MsgcMainMouseModeRequest(mode=MouseMode.CLIENT))
        self.mouse_mode_changed.emit(int(self.mouse_mode))
        self.send(MsgcMainAttachChannels())
        if self.agent is not None:
            self.agent.on_init(self.agent_connected, self.agent_tokens)

    def _on_channels_list(self, msg: MsgMainChannelsList) -> None:
        self.session.attach_channels([(entry.type, entry.id) for entry in msg.channels])

    def _on_mm_time(self, msg: MsgMainMultiMediaTime) -> None:
        self.session.set_mm_time(msg.time)

    # --- the server ---------------------------------------------------------------------------------------

    def _on_name(self, msg: MsgMainName) -> None:
        self.server_name = bytes(msg.name).rstrip(b"\0").decode("utf-8", "replace")
        self.name_changed.emit(self.server_name)

    def _on_uuid(self, msg: MsgMainUuid) -> None:
        import uuid  # here, not at start-up: with the platform module it loads, ~3.5 ms of a screenshot's run

        self.server_uuid = str(uuid.UUID(bytes=bytes(msg.uuid)))
        self.uuid_changed.emit(self.server_uuid)

    def _on_mouse_mode(self, msg: MsgMainMouseMode) -> None:
        self.supported_mouse_modes = MouseMode(msg.supported_modes & 3)
        self.mouse_mode = MouseMode(msg.current_mode & 3) or MouseMode.SERVER
        self.mouse_mode_changed.emit(int(self.mouse_mode))

    # --- the guest agent ----------------------------------------------------------------------------------

    def _on_agent_connected(self, msg: MsgMainAgentConnected) -> None:
        self.agent_connected = True
        if self.agent is not None:
            self.agent.on_agent_connected()

    def _on_agent_connected_tokens(self, msg: MsgMainAgentConnectedTokens) -> None:
        self.agent_connected = True
        self.agent_tokens = msg.num_tokens
        if self.agent is not None:
            self.agent.on_agent_connected(msg.num_tokens)

    def _on_agent_disconnected(self, msg: MsgMainAgentDisconnected) -> None:
        self.agent_connected = False
        self.agent_tokens = 0
        if self.agent is not None:
            self.agent.on_agent_disconnected(msg.error_code)

    def _on_agent_data(self, msg: MsgMainAgentData) -> None:
        if self.agent is not None:
            self.agent.on_agent_data(bytes(msg.data))

    def _on_agent_token(self, msg: MsgMainAgentToken) -> None:
        self.agent_tokens += msg.num_tokens
        if self.agent is not None:
            self.agent.on_agent_token(msg.num_tokens)

    # --- migration ----------------------------------------------------------------------------------------

    def _on_migrate_begin(self, msg: MsgMainMigrateBegin | MsgMainMigrateBeginSeamless) -> None:
        """The VM starts moving: link to the destination in advance (channels/migration.py answers the source)."""
        info = msg.dst_info
        host = _c_string(info.host_data)
        port, sport = (p if p != NO_PORT else 0 for p in (info.port, info.sport))
        if not host or not (port or sport):
            self.log.warning("migration to an unusable destination (host %r, ports %d/%d)", host, port, sport)
            self.send(MsgcMainMigrateConnectError())
            return
        seamless = isinstance(msg, MsgMainMigrateBeginSeamless)
        version = msg.src_mig_version if isinstance(msg, MsgMainMigrateBeginSeamless) else 0
        from .migration import Destination  # the migration machinery loads when a VM first moves

        destination = Destination(host, port, sport, _c_string(info.cert_subject_data) or None)
        migration = self.session.begin_migration(destination, seamless=seamless, src_version=version)
        deadline = migration.plan.deadline
        if self.loop is not None and deadline is not None:
            # The plan's clock is monotonic seconds, like the loop's timers.
            self.loop.set_timer(deadline, migration.poll, "migration")

    def _on_migrate_cancel(self, msg: MsgMainMigrateCancel) -> None:
        self.log.info("the server cancelled the migration")
        self.session.cancel_migration("the server cancelled the migration")

    def _on_migrate_end(self, msg: MsgMainMigrateEnd) -> None:
        """Semi-seamless: the VM runs on the destination. Main moves there now, the others on its INIT."""
        migration = self.session.migration
        if self.agent is not None:
            self.agent.on_agent_disconnected(0)  # the destination's INIT says whether its agent is there
        self.agent_connected = False
        if migration is None or not migration.end_semi_seamless():
            self.log.info("MIGRATE_END without links to the destination ready: the session cannot follow")
            self.session.cancel_migration("MIGRATE_END came before the links to the destination were ready")

    def _on_switch_host(self, msg: MsgMainMigrateSwitchHost) -> None:
        """The VM moved to another server (live migration without a seamless hand-over): go there.

        As spice-gtk does: every channel but main is closed, the caches are emptied, and main reconnects to the
        new host with a fresh connection id; the new server then lists its channels as on a first connection.
        """
        host = _c_string(msg.host_data)
        subject = _c_string(msg.cert_subject_data) or None
        port, sport = (p if p != NO_PORT else 0 for p in (msg.port, msg.sport))
        if not host or not (port or sport):
            self.log.warning("switch-host without a usable destination ignored")
            return
        self.log.info("the session moves to %s (port %d, TLS port %d)", host, port, sport)
        if self.agent is not None:
            self.agent.on_agent_disconnected(0)
        self.agent_connected = False
        self.session.switch_host(host, port, sport, subject)
        self.reconnect()
        self.session.host_switched.emit(f"{host}:{port or sport}")


def _c_string(data: bytes | None) -> str:
    """A NUL-terminated string field (None or empty when absent)."""
    return bytes(data or b"").split(b"\0", 1)[0].decode("utf-8", "replace")
