"""Clipboard scenarios between AgentSession and a fake spice-vdagent, byte-exact on the agent's side."""

from __future__ import annotations

import struct

import fake_agent as fa
from agent_helpers import connect, feed, sent

from spiceview.protocol.agent.clipboard import (
    ClipboardData,
    ClipboardRequestFailed,
    ClipboardTooLarge,
    GuestClipboardGrab,
    GuestClipboardRelease,
    GuestClipboardRequest,
    Owner,
    text_from_guest,
    text_to_guest,
)
from spiceview.protocol.agent.messages import AgentCap, ClipboardType, Selection
from spiceview.protocol.agent.session import AgentSession

CLIP, PRIMARY = Selection.CLIPBOARD, Selection.PRIMARY
UTF8, PNG = ClipboardType.UTF8_TEXT, ClipboardType.IMAGE_PNG
OLD_AGENT = (fa.CAP_BY_DEMAND, fa.CAP_CRLF)  # no selections, no serials, releases between grabs


def test_client_to_guest_text() -> None:
    s, peer, _ = connect()
    assert s.clipboard_grab(CLIP, [UTF8, PNG, UTF8])
    assert sent(s, peer) == [(fa.CLIPBOARD_GRAB, fa.grab([1, 2], selection=0, serial=0)[20:])]
    assert feed(s, fa.request(UTF8)) == [GuestClipboardRequest(CLIP, UTF8)]
    assert s.clipboard_reply(CLIP, UTF8, b"one\r\ntwo\n\0")
    assert sent(s, peer) == [(fa.CLIPBOARD, fa.clipboard(UTF8, b"one\ntwo\n")[20:])]  # LF guest, no NUL
    assert not s.clipboard_reply(CLIP, UTF8, b"again")  # answered already


def test_guest_to_client_text_crlf_guest() -> None:
    s, peer, _ = connect(caps=(*fa.VDAGENTD_CAPS, fa.CAP_CRLF))
    assert feed(s, fa.grab([UTF8, PNG], serial=0)) == [GuestClipboardGrab(CLIP, (UTF8, PNG))]
    assert s.clipboard.owner(CLIP) is Owner.GUEST
    assert not s.clipboard_request(CLIP, ClipboardType.IMAGE_BMP)  # not offered
    assert s.clipboard_request(CLIP, UTF8)
    assert sent(s, peer) == [(fa.CLIPBOARD_REQUEST, fa.request(UTF8)[20:])]
    assert feed(s, fa.clipboard(UTF8, b"a\r\nb\r\n\0")) == [ClipboardData(CLIP, UTF8, b"a\nb\n")]
    # a client on CRLF gets CRLF; text to a CRLF guest gets CRLF
    assert text_from_guest(b"a\r\nb", frozenset({AgentCap.GUEST_LINEEND_CRLF}), b"\r\n") == b"a\r\nb"
    assert text_to_guest(b"a\nb\r\nc", frozenset({AgentCap.GUEST_LINEEND_CRLF})) == b"a\r\nb\r\nc"
    assert text_to_guest(b"a\r\nb", frozenset()) == b"a\r\nb"  # no line-end cap: untouched


def test_binary_data_keeps_line_ends() -> None:
    s, peer, _ = connect(caps=(*fa.VDAGENTD_CAPS, fa.CAP_CRLF))
    feed(s, fa.grab([PNG], serial=0))
    s.clipboard_request(CLIP, PNG)
    png = b"\x89PNG\r\n\x1a\n\0\0"
    assert feed(s, fa.clipboard(PNG, png)) == [ClipboardData(CLIP, PNG, png)]


def test_big_clipboard_spans_many_agent_data() -> None:
    s, peer, _ = connect()
    feed(s, fa.grab([PNG], serial=0))
    s.clipboard_request(CLIP, PNG)
    blob = bytes(range(256)) * 4000  # 1 MB
    assert feed(s, fa.clipboard(PNG, blob)) == [ClipboardData(CLIP, PNG, blob)]
    assert s.clipboard_grab(CLIP, [PNG])
    feed(s, fa.request(PNG))
    s.clipboard_reply(CLIP, PNG, blob)
    assert sent(s, peer)[-1] == (fa.CLIPBOARD, fa.clipboard(PNG, blob)[20:])
    assert len(peer.chunks) > 500


def test_grab_serials_and_races() -> None:
    s, peer, _ = connect()
    s.clipboard_grab(CLIP, [UTF8])  # serial 0
    s.clipboard_grab(CLIP, [UTF8])  # re-grab: serial 1, no release in between
    grabs = sent(s, peer)
    assert [t for t, _ in grabs] == [fa.CLIPBOARD_GRAB, fa.CLIPBOARD_GRAB]
    assert [struct.unpack_from("<I", p, 4)[0] for _, p in grabs] == [0, 1]
    # The agent grabbed at the same time with the serial it had (1) and lost the race: dropped.
    assert feed(s, fa.grab([UTF8], serial=1)) == []
    assert s.clipboard.owner(CLIP) is Owner.CLIENT
    assert feed(s, fa.grab([UTF8], serial=2)) == [GuestClipboardGrab(CLIP, (UTF8,))]
    assert feed(s, fa.grab([PNG], serial=3)) == [GuestClipboardGrab(CLIP, (PNG,))]
    s.clipboard_grab(CLIP, [UTF8])
    assert struct.unpack_from("<I", sent(s, peer)[0][1], 4)[0] == 4
    # Serials are per selection.
    s.clipboard_grab(PRIMARY, [UTF8])
    assert sent(s, peer)[0][1][:8] == b"\x01\0\0\0\0\0\0\0"


def test_serials_restart_with_a_new_agent() -> None:
    s, peer, _ = connect()
    s.clipboard_grab(CLIP, [UTF8])
    s.clipboard_grab(CLIP, [UTF8])
    s.on_agent_disconnected()
    assert sent(s, peer) == []  # nothing queued for the old agent goes out
    s.on_agent_connected(10)
    feed(s, fa.announce(fa.VDAGENTD_CAPS))
    grabs = [p for t, p in sent(s, peer) if t == fa.CLIPBOARD_GRAB]
    assert [struct.unpack_from("<I", p, 4)[0] for p in grabs] == [0]  # re-offered after the reconnect, serial 0


def test_release_rules() -> None:
    s, peer, _ = connect()
    assert not s.clipboard_release(CLIP)  # not ours
    s.clipboard_grab(CLIP, [UTF8])
    feed(s, fa.request(UTF8))
    assert s.clipboard_release(CLIP)
    # the pending guest request got its empty answer before the release
    assert sent(s, peer)[-2:] == [(fa.CLIPBOARD, fa.clipboard(UTF8, b"")[20:]), (fa.CLIPBOARD_RELEASE, b"\0\0\0\0")]
    assert not s.clipboard_release(CLIP)
    # A guest grab takes over without any release from us.
    s.clipboard_grab(CLIP, [UTF8])
    feed(s, fa.grab([PNG], serial=2))
    assert not s.clipboard_release(CLIP)
    assert [t for t, _ in sent(s, peer)] == [fa.CLIPBOARD_GRAB]


def test_guest_release_immediate_with_no_release_on_regrab() -> None:
    s, _, _ = connect()
    feed(s, fa.grab([UTF8], serial=0))
    assert feed(s, fa.release()) == [GuestClipboardRelease(CLIP)]
    assert s.clipboard.owner(CLIP) is Owner.NONE
    assert feed(s, fa.release()) == []


def test_guest_release_delayed_and_cancelled_by_regrab() -> None:
    s, peer, clock = connect(caps=OLD_AGENT)
    assert feed(s, fa.grab([UTF8], selection=None, serial=None)) == [GuestClipboardGrab(CLIP, (UTF8,))]
    assert feed(s, fa.release(selection=None)) == []
    assert s.next_deadline() == clock.now + 0.5
    assert not s.clipboard_request(CLIP, UTF8)  # nothing is asked of a guest that is letting go
    clock.now += 0.3
    assert s.on_timer() == []
    assert feed(s, fa.grab([PNG], selection=None, serial=None)) == [GuestClipboardGrab(CLIP, (PNG,))]
    assert s.next_deadline() is None
    clock.now += 10
    assert s.on_timer() == []
    feed(s, fa.release(selection=None))
    clock.now += 0.5
    assert s.on_timer() == [GuestClipboardRelease(CLIP)]


def test_no_selection_cap_means_clipboard_only_and_no_prefix() -> None:
    s, peer, _ = connect(caps=OLD_AGENT)
    assert not s.clipboard_grab(PRIMARY, [UTF8])
    assert s.clipboard_grab(CLIP, [UTF8])
    assert sent(s, peer) == [(fa.CLIPBOARD_GRAB, b"\x01\0\0\0")]
    assert feed(s, fa.request(UTF8, selection=None)) == [GuestClipboardRequest(CLIP, UTF8)]
    s.clipboard_reply(CLIP, UTF8, b"a\nb")
    assert sent(s, peer) == [(fa.CLIPBOARD, b"\x01\0\0\0a\r\nb")]


def test_primary_selection_with_cap() -> None:
    s, peer, _ = connect()
    assert feed(s, fa.grab([UTF8], selection=1, serial=0)) == [GuestClipboardGrab(PRIMARY, (UTF8,))]
    assert s.clipboard.owner(CLIP) is Owner.NONE
    s.clipboard_request(PRIMARY, UTF8)
    assert sent(s, peer) == [(fa.CLIPBOARD_REQUEST, fa.request(UTF8, selection=1)[20:])]
    assert feed(s, fa.clipboard(UTF8, b"sel", selection=1)) == [ClipboardData(PRIMARY, UTF8, b"sel")]


def test_guest_requests_we_cannot_serve_get_empty_answers() -> None:
    s, peer, _ = connect()
    assert feed(s, fa.request(UTF8)) == []  # we own nothing
    s.clipboard_grab(CLIP, [PNG])
    assert feed(s, fa.request(UTF8)) == []  # a type we did not offer
    answers = [p for t, p in sent(s, peer) if t == fa.CLIPBOARD]
    assert answers == [fa.clipboard(UTF8, b"")[20:]] * 2


def test_max_clipboard_announced_and_enforced_both_ways() -> None:
    s, peer, _ = connect(max_clipboard=100, max_message_size=0)
    # Our limit went to the agent when its capabilities came (connect() cleared the log; check the chunk log).
    assert any(c[4:8] == b"\x0e\0\0\0" and c[20:] == struct.pack("<i", 100) for c in peer.chunks)
    feed(s, fa.grab([PNG], serial=0))
    s.clipboard_request(CLIP, PNG)
    events = feed(s, fa.clipboard(PNG, b"x" * 150))  # within the stream's room, over our limit
    assert [type(e) for e in events] == [ClipboardRequestFailed]
    s.clipboard_request(CLIP, PNG)
    events = feed(s, fa.clipboard(PNG, b"x" * 5000))  # over the stream's room: skipped unbuffered
    assert [type(e).__name__ for e in events] == ["SkippedMessage", "ClipboardRequestFailed"]
    assert events[1].type == PNG
    # An agent that announces a limit gets nothing larger.
    feed(s, fa.message(fa.MAX_CLIPBOARD, struct.pack("<i", 10)))
    s.clipboard_grab(CLIP, [UTF8])
    feed(s, fa.request(UTF8))
    sent(s, peer)
    s.clipboard_reply(CLIP, UTF8, b"0123456789ABC")
    assert s.take_events() == [ClipboardTooLarge(CLIP, UTF8, 13, 10)]
    assert sent(s, peer) == [(fa.CLIPBOARD, fa.clipboard(UTF8, b"")[20:])]


def test_failed_and_unsolicited_answers() -> None:
    s, peer, clock = connect()
    feed(s, fa.grab([UTF8, PNG], serial=0))
    assert feed(s, fa.clipboard(UTF8, b"nobody asked")) == []
    s.clipboard_request(CLIP, UTF8)
    s.clipboard_request(CLIP, PNG)
    # The agent answers "none" (type NONE) to the oldest request.
    assert feed(s, fa.clipboard(0, b"")) == [ClipboardRequestFailed(CLIP, UTF8, "the guest sent no data")]
    clock.now += 60
    assert s.on_timer() == [ClipboardRequestFailed(CLIP, PNG, "the guest did not answer in time")]
    assert s.next_deadline() is None


def test_client_grab_fails_requests_to_the_guest() -> None:
    s, _, _ = connect()
    feed(s, fa.grab([UTF8], serial=0))
    s.clipboard_request(CLIP, UTF8)
    s.clipboard_grab(CLIP, [UTF8])
    assert [type(e) for e in s.take_events()] == [ClipboardRequestFailed]


def test_disconnect_fails_requests_and_ends_guest_ownership() -> None:
    s, _, _ = connect()
    feed(s, fa.grab([UTF8], serial=0), fa.grab([UTF8], selection=1, serial=0))
    s.clipboard_request(CLIP, UTF8)
    events = s.on_agent_disconnected(0)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["ClipboardRequestFailed", "GuestClipboardRelease", "GuestClipboardRelease", "AgentDisconnected"]
    assert not s.clipboard_grab(CLIP, [UTF8])  # kept for the next agent instead


def test_grab_before_the_agent_is_offered_when_it_comes() -> None:
    s = AgentSession()
    peer = fa.Peer()
    assert not s.clipboard_grab(CLIP, [UTF8])
    s.on_agent_connected(10)
    feed(s, fa.announce(fa.VDAGENTD_CAPS, request=1))
    types = [t for t, _ in sent(s, peer)]
    assert types == [fa.ANNOUNCE_CAPABILITIES, fa.ANNOUNCE_CAPABILITIES, fa.CLIPBOARD_GRAB, fa.MAX_CLIPBOARD]
    assert peer.of_type(fa.ANNOUNCE_CAPABILITIES)[0][:4] == b"\x01\0\0\0"  # request=1 on connect
    assert peer.of_type(fa.ANNOUNCE_CAPABILITIES)[1][:4] == b"\0\0\0\0"  # the answer to the agent's request
