"""Hubbub driven by Debian's python3-socketio client (5.7.x, sync Client; AsyncClient when aiohttp exists).

Run from tests/integration:  /usr/bin/python3 -m unittest -v test_python_client.py
HUB_TARGET=reference runs the same tests against the Node reference (tests/reference/server.js).
Every test starts its own target on a free loopback port and stops it with SIGTERM (exit code must be 0).
"""

import asyncio
import os
import sys
import threading
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import requests  # noqa: E402
import socketio  # noqa: E402
from socketio import packet as sio_packet  # noqa: E402
from engineio import packet as eio_packet  # noqa: E402

import pyhub  # noqa: E402
from pyhub import Client, Hub, Recorder  # noqa: E402

try:
    import aiohttp  # noqa: F401
    HAVE_AIOHTTP = True
except ImportError:
    HAVE_AIOHTTP = False

WAIT = 5.0  # seconds: the bound of every wait for something that should happen
CONNECT_WAIT = 5.0
# python-socketio 5.7 waits wait_timeout more after a CONNECT_ERROR before connect() raises, so rejection
# tests use a shorter one; the CONNECT_ERROR itself must come within it
REJECT_WAIT = 1.5

# transports= argument, expected transport once connected
TRANSPORT_MODES = {
    "polling": (["polling"], "polling"),
    "upgrade": (None, "websocket"),  # polling first, then the upgrade
    "websocket": (["websocket"], "websocket"),
}


class HubTestCase(unittest.TestCase):
    KIND = "hub"
    CONFIG = None
    MODE = "upgrade"

    def setUp(self):
        # python-engineio leaves requests' sockets to the garbage collector
        warnings.filterwarnings("ignore", category=ResourceWarning)
        self.hub = Hub(config=self.CONFIG, kind=self.KIND)
        self.addCleanup(self.hub.close)
        try:
            self.hub.start()
        except pyhub.Unavailable as e:
            self.skipTest(str(e))
        self.addCleanup(self.stop_hub)

    def stop_hub(self):
        """Cleanup: SIGTERM, and the hub must exit 0 (the example program only has to exit)."""
        if not self.hub.alive():
            return
        rc = self.hub.stop()
        if self.KIND == "hub":
            self.assertEqual(rc, 0, "hub exit code after SIGTERM\n" + self.hub.stderr_tail())

    def client(self, cls=Client, **kwargs):
        c = cls(**kwargs)
        self.addCleanup(self._disconnect, c)
        return c

    @staticmethod
    def _disconnect(c):
        c.reconnection = False
        try:
            c.disconnect()
        except Exception:
            pass

    def connect(self, c, namespaces=None, auth=None, mode=None, wait_timeout=CONNECT_WAIT):
        transports = TRANSPORT_MODES[mode or self.MODE][0]
        c.connect(self.hub.url, namespaces=namespaces, auth=auth, transports=transports,
                  wait_timeout=wait_timeout)
        return c

    def fail_with_stderr(self, msg):
        self.fail(msg + "\n" + self.hub.stderr_tail())


# ---------------------------------------------------------------------------------------------------------
# Echo app on "/" and "/custom", for each transport mode
# ---------------------------------------------------------------------------------------------------------
class EchoMixin:
    def echo_client(self, namespaces=("/",), auth=None, **kwargs):
        c = self.client(**kwargs)
        rec = Recorder()
        for ns in namespaces:
            rec.on(c, "auth", ns)
            rec.on(c, "message-back", ns)
            rec.on(c, "connect", ns)
            rec.on(c, "disconnect", ns)
        self.connect(c, namespaces=list(namespaces), auth=auth)
        return c, rec

    def roundtrip(self, c, rec, data, count):
        """Sends message with data, returns the args of the count-th message-back."""
        c.emit("message", data)
        return rec.wait("message-back", count, WAIT)[count - 1]

    def test_connect_transport(self):
        c, rec = self.echo_client()
        self.assertTrue(c.connected)
        expected = TRANSPORT_MODES[self.MODE][1]
        self.assertEqual(c.transport(), expected)
        self.assertTrue(c.get_sid("/"), "no sid for /")
        self.assertNotEqual(c.get_sid("/"), c.eio.sid, "Socket.IO sid must differ from the Engine.IO sid")
        # the open packet carries the configured heartbeat
        self.assertEqual(c.eio.ping_interval, 0.4)
        self.assertEqual(c.eio.ping_timeout, 1.5)
        if self.MODE == "websocket":
            self.assertEqual(c.eio.upgrades, [])
        else:
            self.assertEqual(c.eio.upgrades, ["websocket"])
        rec.wait("connect", 1, WAIT)
        self.assertEqual(c.call("message-with-ack", "after-connect", timeout=WAIT), "after-connect")

    def test_stock_socketio_client(self):
        # The unmodified socketio.Client class (threaded dispatch), as an application would use it.
        c = socketio.Client(reconnection=False, handle_sigint=False)
        self.addCleanup(self._disconnect, c)
        got = threading.Event()
        seen = []

        @c.on("message-back")
        def back(*args):
            seen.append(args)
            got.set()

        self.connect(c)
        self.assertEqual(c.transport(), TRANSPORT_MODES[self.MODE][1])
        self.assertEqual(c.call("message-with-ack", {"a": [1, 2]}, timeout=WAIT), {"a": [1, 2]})
        c.emit("message", "plain")
        self.assertTrue(got.wait(WAIT), "no message-back")
        self.assertEqual(seen, [("plain",)])

    def test_auth_echoed(self):
        auth = {"token": "abc", "n": 1, "nested": {"list": [1, "two", None]}, "unicode": "h\u00e9 \u2603"}
        c, rec = self.echo_client(auth=auth)
        self.assertEqual(rec.wait("auth", 1, WAIT)[0], (auth,))

    def test_auth_empty_when_none(self):
        c, rec = self.echo_client()
        self.assertEqual(rec.wait("auth", 1, WAIT)[0], ({},))

    def test_echo_json_types(self):
        c, rec = self.echo_client()
        cases = [
            ("hello",),
            ("h\u00e9llo \u2603 \U0001F600 \"quoted\" back\\slash \u001e \n",),
            ({"a": 1, "b": [True, False, None], "c": {"d": 1.5, "e": "f"}},),
            ([1, "two", [3], {"four": 4}],),
            (42,),
            (-7.25,),
            (True,),
            (None,),
            ("",),
            ({},),
            ([],),
            ("multi", 2, {"three": 3}, [4]),
        ]
        for i, args in enumerate(cases, 1):
            with self.subTest(args=args):
                # a tuple is sent as that many arguments
                self.assertEqual(self.roundtrip(c, rec, args, i), args)
        self.assertEqual(len(rec.get("message-back")), len(cases), "duplicate or extra message-back")

    def test_echo_no_args(self):
        c, rec = self.echo_client()
        c.emit("message")
        self.assertEqual(rec.wait("message-back", 1, WAIT)[0], ())

    def test_echo_binary(self):
        c, rec = self.echo_client()
        blob = bytes(range(256)) * 4
        big = os.urandom(200 * 1024)
        cases = [
            (b"\x00\x01\x02\xff",),
            (blob,),
            ({"name": "file", "data": b"\xde\xad\xbe\xef", "nested": [b"x", {"deep": b"\x00"}]},),
            ([b"one", "text", b"two"],),
            ("mixed", b"\x01", {"b": b"\x02"}, 3),
            (b"",),
            (big,),
        ]
        for i, args in enumerate(cases, 1):
            with self.subTest(case=i):
                data = args if len(args) > 1 else args[0]
                got = self.roundtrip(c, rec, data, i)
                self.assertEqual(got, args)
        # the hub stays usable after binary traffic
        self.assertEqual(c.call("message-with-ack", "text-after-binary", timeout=WAIT), "text-after-binary")

    def test_ack(self):
        c, rec = self.echo_client()
        self.assertEqual(c.call("message-with-ack", "hi", timeout=WAIT), "hi")
        self.assertEqual(c.call("message-with-ack", {"k": [1, 2]}, timeout=WAIT), {"k": [1, 2]})
        self.assertEqual(c.call("message-with-ack", (1, "two", {"three": 3}), timeout=WAIT),
                         (1, "two", {"three": 3}))
        self.assertIsNone(c.call("message-with-ack", timeout=WAIT))
        # binary ack
        self.assertEqual(c.call("message-with-ack", b"\x00bin\xff", timeout=WAIT), b"\x00bin\xff")
        self.assertEqual(c.call("message-with-ack", ("t", {"b": b"\x01\x02"}), timeout=WAIT),
                         ("t", {"b": b"\x01\x02"}))

    def test_ack_emit_callback_many(self):
        # many acks in flight at once: each callback runs once, with its own args
        c, rec = self.echo_client()
        n = 50
        for i in range(n):
            c.emit("message-with-ack", ("n", i), callback=lambda *a: rec.record("ack", a))
        acks = rec.wait("ack", n, WAIT)
        self.assertEqual(sorted(a[1] for a in acks), list(range(n)))
        self.assertTrue(all(a[0] == "n" for a in acks))

    def test_call_timeout(self):
        c, rec = self.echo_client()
        # nothing handles this event on the echo app, so no ack ever comes
        with self.assertRaises(socketio.exceptions.TimeoutError):
            c.call("no-such-event", "x", timeout=0.5)
        # the connection is still fine
        self.assertEqual(c.call("message-with-ack", "still-here", timeout=WAIT), "still-here")
        self.assertTrue(c.connected)

    def test_several_namespaces(self):
        auth = {"who": "multi"}
        c, rec = self.client(), {}
        for ns in ("/", "/custom", "/chat"):
            rec[ns] = Recorder()
            for ev in ("auth", "message-back", "news"):
                rec[ns].on(c, ev, ns)
        self.connect(c, namespaces=["/", "/custom", "/chat"], auth=auth)
        self.assertEqual(set(c.namespaces), {"/", "/custom", "/chat"})
        sids = [c.get_sid(ns) for ns in ("/", "/custom", "/chat")]
        self.assertEqual(len(set(sids)), 3, "each namespace needs its own sid: %r" % sids)
        self.assertEqual(rec["/"].wait("auth", 1, WAIT)[0], (auth,))
        self.assertEqual(rec["/custom"].wait("auth", 1, WAIT)[0], (auth,))
        # message on /custom comes back on /custom only; then one on / comes back on / only
        c.emit("message", "to-custom", namespace="/custom")
        self.assertEqual(rec["/custom"].wait("message-back", 1, WAIT)[0], ("to-custom",))
        c.emit("message", "to-root", namespace="/")
        self.assertEqual(rec["/"].wait("message-back", 1, WAIT)[0], ("to-root",))
        self.assertEqual(c.call("message-with-ack", "ack-custom", namespace="/custom", timeout=WAIT),
                         "ack-custom")
        # the relay namespace on the same connection: join answers, echo events do not
        self.assertEqual(c.call("join", "room", namespace="/chat", timeout=WAIT), {"ok": True})
        self.assertEqual(rec["/"].get("message-back"), [("to-root",)])
        self.assertEqual(rec["/custom"].get("message-back"), [("to-custom",)])
        self.assertEqual(rec["/chat"].get("message-back"), [])
        self.assertEqual(rec["/chat"].get("auth"), [], "the relay app does not emit auth")

    def test_unknown_namespace(self):
        c = self.client()
        rec = Recorder()
        rec.on(c, "connect_error", "/nope")
        rec.on(c, "connect", "/")
        with self.assertRaises(socketio.exceptions.ConnectionError):
            self.connect(c, namespaces=["/", "/nope"], wait_timeout=REJECT_WAIT)
        self.assertEqual(rec.wait("connect_error", 1, WAIT)[0], ({"message": "Invalid namespace"},))
        # "/" was connected over the same Engine.IO connection, which stayed open after the error
        self.assertEqual(len(rec.wait("connect", 1, WAIT)), 1)
        self.assertIsNotNone(c.wait_packet(sio_packet.CONNECT_ERROR, "/nope", WAIT))

    def test_unknown_namespace_keeps_connection(self):
        # connect "/" first; a later CONNECT to an unknown namespace fails without hurting "/"
        c, rec = self.echo_client()
        c._send_packet(c.packet_class(sio_packet.CONNECT, namespace="/nope", data={}))
        p = c.wait_packet(sio_packet.CONNECT_ERROR, "/nope", WAIT)
        self.assertIsNotNone(p, "no CONNECT_ERROR for /nope")
        self.assertEqual(p[2], {"message": "Invalid namespace"})
        self.assertEqual(c.call("message-with-ack", "alive", timeout=WAIT), "alive")

    def test_heartbeat(self):
        c, rec = self.echo_client()
        # pingInterval is 400 ms: the hub must ping repeatedly and accept the client's pongs
        if not c.eio.wait_packets(eio_packet.PING, 4, 4 * 0.4 + WAIT):
            self.fail_with_stderr("fewer than 4 pings: %r" % c.eio.packet_counts)
        self.assertTrue(c.connected)
        self.assertEqual(rec.get("disconnect"), [])
        self.assertEqual(c.call("message-with-ack", "after-pings", timeout=WAIT), "after-pings")

    def test_client_disconnect(self):
        c, rec = self.echo_client()
        rec.wait("auth", 1, WAIT)
        eio_sid = c.eio.sid
        if self.MODE == "polling":
            # probe: the session exists while connected (a POSTed pong is accepted)
            r = self.post_pong(eio_sid)
            self.assertEqual(r.status_code, 200, r.text)
        c.disconnect()
        rec.wait("disconnect", 1, WAIT)
        self.assertFalse(c.connected)
        if self.MODE == "polling":
            # the client sent 41 and 1: the hub must forget the session
            deadline = threading.Event()
            for _ in range(int(WAIT / 0.05)):
                r = self.post_pong(eio_sid)
                if r.status_code == 400:
                    break
                deadline.wait(0.05)
            self.assertEqual(r.status_code, 400, "session still alive after the client closed it")
        # the hub keeps serving
        c2, rec2 = self.echo_client()
        self.assertEqual(c2.call("message-with-ack", "next", timeout=WAIT), "next")

    def post_pong(self, sid):
        return requests.post("%s/socket.io/?EIO=4&transport=polling&sid=%s" % (self.hub.url, sid),
                             data=b"3", headers={"Content-Type": "text/plain;charset=UTF-8"}, timeout=WAIT)

    def test_hub_sigterm_disconnects_clients(self):
        c1, rec1 = self.echo_client()
        c2, rec2 = self.echo_client(namespaces=("/", "/custom"))
        rec1.wait("auth", 1, WAIT)
        rec2.wait("auth", 1, WAIT)
        rc = self.hub.stop()
        self.assertEqual(rc, 0, "exit code after SIGTERM\n" + self.hub.stderr_tail())
        rec1.wait("disconnect", 1, WAIT)
        rec2.wait("disconnect", 2, WAIT)
        self.assertFalse(c1.connected)
        self.assertFalse(c2.connected)


class EchoPollingTest(EchoMixin, HubTestCase):
    MODE = "polling"


class EchoUpgradeTest(EchoMixin, HubTestCase):
    MODE = "upgrade"


class EchoWebSocketTest(EchoMixin, HubTestCase):
    MODE = "websocket"


# ---------------------------------------------------------------------------------------------------------
# Relay app on "/chat": rooms, several clients on mixed transports
# ---------------------------------------------------------------------------------------------------------
class RelayTest(HubTestCase):
    EVENTS = ("news", "marker", "other")

    def chat_client(self, name, mode):
        c = self.client()
        rec = Recorder()
        for ev in self.EVENTS:
            rec.on(c, ev, "/chat")
        self.connect(c, namespaces=["/chat"], mode=mode)
        c.name = name
        return c, rec

    def clients(self, *names):
        modes = ["websocket", "polling", "upgrade"]
        return [self.chat_client(n, modes[i % 3]) for i, n in enumerate(names)]

    def join(self, c, room):
        self.assertEqual(c.call("join", room, namespace="/chat", timeout=WAIT), {"ok": True},
                         "%s join %s" % (c.name, room))

    def leave(self, c, room):
        self.assertEqual(c.call("leave", room, namespace="/chat", timeout=WAIT), {"ok": True},
                         "%s leave %s" % (c.name, room))

    def send(self, c, event, *args):
        """Relays an event with an ack; the hub must answer {"ok": true} once it has dispatched it."""
        data = tuple(args) if len(args) != 1 else args[0]
        self.assertEqual(c.call(event, data, namespace="/chat", timeout=WAIT), {"ok": True},
                         "%s %s ack" % (c.name, event))

    def barrier(self, sender, receivers, tag):
        """sender relays marker (acked) to its rooms or the whole namespace; waits until each receiver got it.
        Everything relayed to a receiver before the marker was acked has arrived by then."""
        self.send(sender, "marker", tag)
        for c, rec in receivers:
            with rec.cond:
                ok = rec.cond.wait_for(lambda: (tag,) in rec.calls.get("marker", []), WAIT)
            self.assertTrue(ok, "%s never got marker %s: %r" % (c.name, tag, rec.order))

    def test_join_leave_acks(self):
        (a, ra), = self.clients("a")
        self.assertEqual(a.call("join", "r1", namespace="/chat", timeout=WAIT), {"ok": True})
        self.assertEqual(a.call("join", "r1", namespace="/chat", timeout=WAIT), {"ok": True})
        self.assertEqual(a.call("leave", "r1", namespace="/chat", timeout=WAIT), {"ok": True})
        for bad in (None, 42, {"room": "x"}):
            with self.subTest(room=bad):
                if bad is None:
                    r = a.call("join", namespace="/chat", timeout=WAIT)
                else:
                    r = a.call("join", bad, namespace="/chat", timeout=WAIT)
                self.assertIsInstance(r, dict)
                self.assertIs(r.get("ok"), False, r)
                self.assertIsInstance(r.get("error"), str, r)
                self.assertTrue(r["error"], r)
        r = a.call("leave", namespace="/chat", timeout=WAIT)
        self.assertIs(r.get("ok"), False, r)
        self.assertIsInstance(r.get("error"), str, r)

    def test_rooms_route_to_the_right_clients_once(self):
        (a, ra), (b, rb), (c, rc), (d, rd), (e, re_) = self.clients("a", "b", "c", "d", "e")
        self.join(a, "r1")
        self.join(b, "r1")
        self.join(c, "r2")
        # a -> r1: only b
        self.send(a, "news", "from-a", b"\x01\x02")
        # c -> r2: nobody else is in r2
        self.send(c, "news", "from-c")
        # d (no room) -> whole namespace except d
        self.send(d, "news", "from-d", {"k": "v"})
        # e (no room) -> marker to everyone but e
        self.barrier(e, [(a, ra), (b, rb), (c, rc), (d, rd)], "m1")
        self.assertEqual(ra.get("news"), [("from-d", {"k": "v"})])
        self.assertEqual(rb.get("news"), [("from-a", b"\x01\x02"), ("from-d", {"k": "v"})])
        self.assertEqual(rc.get("news"), [("from-d", {"k": "v"})])
        self.assertEqual(rd.get("news"), [])
        self.assertEqual(re_.get("news"), [("from-d", {"k": "v"})])
        for name, rec in (("a", ra), ("b", rb), ("c", rc), ("d", rd)):
            self.assertEqual(rec.get("marker"), [("m1",)], name)
        self.assertEqual(re_.get("marker"), [], "the sender got its own marker")

    def test_member_of_several_rooms_gets_one_copy(self):
        (a, ra), (b, rb), (c, rc), (e, re_) = self.clients("a", "b", "c", "e")
        for room in ("r1", "r2", "r3"):
            self.join(a, room)
            self.join(b, room)
        self.join(c, "r3")
        self.send(a, "news", "to-three-rooms")
        self.barrier(e, [(a, ra), (b, rb), (c, rc)], "m")
        self.assertEqual(rb.get("news"), [("to-three-rooms",)])
        self.assertEqual(rc.get("news"), [("to-three-rooms",)])
        self.assertEqual(ra.get("news"), [])

    def test_leave_stops_delivery(self):
        (a, ra), (b, rb), (e, re_) = self.clients("a", "b", "e")
        self.join(a, "r")
        self.join(b, "r")
        self.send(b, "news", "both-in")
        self.leave(a, "r")
        self.send(b, "news", "a-left")
        self.barrier(e, [(a, ra), (b, rb)], "m1")
        self.assertEqual(ra.get("news"), [("both-in",)])
        self.assertEqual(rb.get("news"), [])
        # a is in no room now: its events go to the whole namespace
        self.send(a, "news", "from-a-no-room")
        self.barrier(e, [(a, ra), (b, rb)], "m2")
        self.assertEqual(rb.get("news"), [("from-a-no-room",)])
        self.assertEqual(re_.get("news"), [("from-a-no-room",)])
        self.assertEqual(ra.get("news"), [("both-in",)])

    def test_relay_without_ack_and_multiple_args(self):
        (a, ra), (b, rb), (c, rc) = self.clients("a", "b", "c")
        self.join(a, "r")
        self.join(b, "r")
        self.join(c, "elsewhere")
        a.emit("other", ("x", 1, [2, {"three": b"\x03"}], None), namespace="/chat")
        a.emit("news", namespace="/chat")
        # an acked event from the same sender: the hub has handled the two above before it answers
        self.barrier(a, [(b, rb)], "m")
        self.assertEqual(rb.get("other"), [("x", 1, [2, {"three": b"\x03"}], None)])
        self.assertEqual(rb.get("news"), [()])
        self.send(c, "marker", "c-done")  # c is alone in its room: nobody gets this
        self.barrier(a, [(b, rb)], "m2")
        self.assertEqual(rb.get("marker"), [("m",), ("m2",)])
        self.assertEqual(rc.get("other") + rc.get("news") + rc.get("marker"), [])

    def test_relay_binary_large(self):
        (a, ra), (b, rb) = self.clients("a", "b")
        blob = os.urandom(100 * 1024)
        self.send(a, "news", blob, {"again": blob[:10]})
        self.assertEqual(rb.wait("news", 1, WAIT)[0], (blob, {"again": blob[:10]}))

    def test_namespaces_are_separate(self):
        # an echo-namespace client never sees /chat traffic; /chat relays do not reach "/"
        (a, ra), = self.clients("a")
        x = self.client()
        rx = Recorder()
        rx.on(x, "news", "/")
        rx.on(x, "news", "/chat")
        self.connect(x, namespaces=["/", "/chat"])
        self.send(a, "news", "hello")
        # x's /chat handler and / handler share the recorder: exactly one call means / got nothing
        self.assertEqual(rx.wait("news", 1, WAIT), [("hello",)])
        self.assertEqual(x.call("message-with-ack", "sync", timeout=WAIT), "sync")
        self.assertEqual(rx.get("news"), [("hello",)])


# ---------------------------------------------------------------------------------------------------------
# The example program: connect hook, server->client acks, kick
# ---------------------------------------------------------------------------------------------------------
class NoAutoAckClient(Client):
    """A client that, like the JavaScript client, sends no ack for an event nobody handles.
    (python-socketio 5.7 acks every event that asks for one, with no arguments when there is no handler.)"""

    def _handle_event(self, namespace, id, data):
        ns = namespace or "/"
        if id is not None and data[0] not in self.handlers.get(ns, {}):
            return super()._handle_event(namespace, None, data)
        return super()._handle_event(namespace, id, data)


class ExampleTest(HubTestCase):
    KIND = "example"

    def example_client(self, auth={"token": "secret"}, cls=Client, **kwargs):
        c = self.client(cls=cls, **kwargs)
        rec = Recorder()
        for ev in ("ask-result", "connect", "disconnect"):
            rec.on(c, ev)
        self.connect(c, auth=auth)
        return c, rec

    def test_auth_accepted(self):
        c, rec = self.example_client()
        self.assertTrue(c.connected)
        rec.wait("connect", 1, WAIT)

    def test_welcome_carries_socket_id(self):
        c = self.client()
        rec = Recorder()
        rec.on(c, "welcome")
        self.connect(c, auth={"token": "secret"})
        self.assertEqual(rec.wait("welcome", 1, WAIT)[0], (c.get_sid("/"),))

    def test_connect_rejected(self):
        for mode in ("polling", "websocket"):
            for auth in ({"token": "wrong"}, None, {"other": "secret"}):
                with self.subTest(mode=mode, auth=auth):
                    c = self.client()
                    rec = Recorder()
                    rec.on(c, "connect_error")
                    rec.on(c, "connect")
                    with self.assertRaises(socketio.exceptions.ConnectionError):
                        self.connect(c, auth=auth, mode=mode, wait_timeout=REJECT_WAIT)
                    err = rec.wait("connect_error", 1, WAIT)[0]
                    self.assertEqual(err, ({"message": "unauthorized", "data": {"reason": "bad token"}},))
                    self.assertEqual(rec.get("connect"), [])
                    self.assertFalse(c.connected)

    def test_ask_with_handler(self):
        c = self.client()
        rec = Recorder()
        rec.on(c, "ask-result")
        rec.on(c, "question", returns=("forty-two", 42, {"k": [1]}))
        self.connect(c, auth={"token": "secret"})
        c.emit("ask", 3000)
        self.assertEqual(rec.wait("question", 1, WAIT)[0], ("what?",))
        self.assertEqual(rec.wait("ask-result", 1, WAIT)[0],
                         ({"ok": True, "args": ["forty-two", 42, {"k": [1]}]},))

    def test_ask_binary_ack(self):
        c = self.client()
        rec = Recorder()
        rec.on(c, "ask-result")
        rec.on(c, "question", returns=b"\x00\xffbin")
        self.connect(c, auth={"token": "secret"})
        c.emit("ask", 3000)
        result = rec.wait("ask-result", 1, WAIT)[0][0]
        self.assertIs(result.get("ok"), True, result)
        self.assertEqual(len(result.get("args", [])), 1, result)
        self.assertEqual(result["args"][0], b"\x00\xffbin")

    def test_ask_stock_client_without_handler(self):
        # python-socketio answers an unhandled event's ack request with an empty ack
        c = self.client()
        rec = Recorder()
        rec.on(c, "ask-result")
        self.connect(c, auth={"token": "secret"})
        c.emit("ask", 3000)
        self.assertEqual(rec.wait("ask-result", 1, WAIT)[0], ({"ok": True, "args": []},))

    def test_ask_timeout_without_ack(self):
        c = self.client(cls=NoAutoAckClient)
        rec = Recorder()
        rec.on(c, "ask-result")
        self.connect(c, auth={"token": "secret"})
        c.emit("ask", 300)
        self.assertEqual(rec.wait("ask-result", 1, WAIT)[0], ({"ok": False, "error": "timeout"},))
        self.assertTrue(c.connected)

    def test_late_ack_is_ignored(self):
        c = self.client()
        rec = Recorder()
        rec.on(c, "ask-result")
        never = threading.Event()
        calls = []

        def question(*args):
            calls.append(args)
            if len(calls) == 1:
                # answer only after the hub's 300 ms timeout has passed
                never.wait(0.8)
                return "late"
            return "on-time"

        c.on("question", question)
        self.connect(c, auth={"token": "secret"})
        c.emit("ask", 300)
        self.assertEqual(rec.wait("ask-result", 1, WAIT)[0], ({"ok": False, "error": "timeout"},))
        c.emit("ask", 3000)
        results = rec.wait("ask-result", 2, WAIT)
        self.assertEqual(results[1], ({"ok": True, "args": ["on-time"]},))
        self.assertEqual(len(rec.get("ask-result")), 2, rec.get("ask-result"))

    def test_kick(self):
        c, rec = self.example_client()
        rec.wait("connect", 1, WAIT)
        c.emit("kick")
        rec.wait("disconnect", 1, WAIT)
        self.assertIsNotNone(c.wait_packet(sio_packet.DISCONNECT, "/", WAIT),
                             "the hub must send a Socket.IO DISCONNECT for a kick")
        self.assertFalse(c.connected)
        # the example keeps serving others
        c2, rec2 = self.example_client(cls=NoAutoAckClient)
        c2.emit("ask", 200)
        self.assertEqual(rec2.wait("ask-result", 1, WAIT)[0], ({"ok": False, "error": "timeout"},))


# ---------------------------------------------------------------------------------------------------------
# Restart on the same port: the client reconnects by itself
# ---------------------------------------------------------------------------------------------------------
class ReconnectMixin:
    def setUp(self):
        warnings.filterwarnings("ignore", category=ResourceWarning)
        # a fixed port, picked free first, so that the restarted hub is at the same URL
        self.hub = Hub(config=self.CONFIG, port=pyhub.free_port())
        self.addCleanup(self.hub.close)
        self.hub.start()
        self.addCleanup(self.stop_hub)

    def test_reconnect_after_restart(self):
        c = self.client(reconnection=True, reconnection_delay=0.1, reconnection_delay_max=0.5,
                        randomization_factor=0)
        rec = Recorder()
        for ev in ("connect", "disconnect", "auth"):
            rec.on(c, ev)
            rec.on(c, ev, "/custom")
        self.connect(c, namespaces=["/", "/custom"], auth={"again": True})
        rec.wait("auth", 2, WAIT)
        first_sid = c.get_sid("/")
        port = self.hub.port
        rc = self.hub.stop()
        self.assertEqual(rc, 0, "exit code after SIGTERM\n" + self.hub.stderr_tail())
        rec.wait("disconnect", 2, WAIT)
        self.hub.start()
        self.assertEqual(self.hub.port, port)
        rec.wait("connect", 4, 3 * WAIT)
        self.assertEqual(rec.wait("auth", 4, WAIT)[2:], [({"again": True},), ({"again": True},)])
        self.assertNotEqual(c.get_sid("/"), first_sid)
        self.assertEqual(c.transport(), TRANSPORT_MODES[self.MODE][1])
        self.assertEqual(c.call("message-with-ack", "back", timeout=WAIT), "back")
        self.assertEqual(c.call("message-with-ack", "custom", namespace="/custom", timeout=WAIT), "custom")


class ReconnectWebSocketTest(ReconnectMixin, HubTestCase):
    MODE = "websocket"


class ReconnectUpgradeTest(ReconnectMixin, HubTestCase):
    MODE = "upgrade"


# ---------------------------------------------------------------------------------------------------------
# asyncio client
# ---------------------------------------------------------------------------------------------------------
@unittest.skipUnless(HAVE_AIOHTTP, "python3-aiohttp is not installed: socketio.AsyncClient needs it for "
                                   "both transports")
class AsyncClientTest(HubTestCase):
    def test_async_smoke(self):
        asyncio.run(asyncio.wait_for(self._smoke(), 4 * WAIT))

    async def _smoke(self):
        c = socketio.AsyncClient(reconnection=False)
        got_auth = asyncio.Event()
        backs = asyncio.Queue()

        @c.on("auth")
        async def on_auth(data):
            self.assertEqual(data, {"token": "async"})
            got_auth.set()

        @c.on("message-back")
        async def on_back(*args):
            await backs.put(args)

        await c.connect(self.hub.url, auth={"token": "async"}, wait_timeout=CONNECT_WAIT)
        try:
            await asyncio.wait_for(got_auth.wait(), WAIT)
            self.assertEqual(await c.call("message-with-ack", "async-ack", timeout=WAIT), "async-ack")
            await c.emit("message", ("s", b"\x00\x01"))
            self.assertEqual(await asyncio.wait_for(backs.get(), WAIT), ("s", b"\x00\x01"))
        finally:
            await c.disconnect()


if __name__ == "__main__":
    unittest.main(verbosity=2)
