"""pyhub - start and stop a Hubbub target for the Python integration tests.

A target is the C hub (build/hubbub), the C example program (build/examples/hubbub-example) or the Node
reference (tests/reference/server.js), chosen by HUB_TARGET ("hubbub", the default, or "reference"). Each Hub
runs on a loopback port (0 = let the target pick one) with a temporary JSON config, is ready once it printed
"listening on HOST:PORT" on stdout (bounded wait), and is stopped by SIGTERM to its own PID. Its stderr goes
to a temporary file so a failure can show the tail.

Environment:
  HUB_TARGET            "hubbub" (default) or "reference"
  HUBBUB_BIN            the hub binary (default HUB_SOURCE_DIR/build/hubbub)
  HUBBUB_EXAMPLE_BIN    the example binary (default: examples/hubbub-example next to HUBBUB_BIN)
  HUB_SOURCE_DIR        the repository root (default: two levels above this file)
  HUB_REFERENCE_CMD     command line of the reference hub (default: node tests/reference/server.js)
  HUB_REFERENCE_EXAMPLE_CMD  command line of a reference example program (default: node
                        tests/reference/example.js when that file exists; otherwise there is none)
  HUB_START_TIMEOUT     seconds to wait for the listening line (default 15)
"""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
import time

import engineio
import engineio.payload
import socketio

# python-engineio refuses a polling response with more than 16 packets ("Unexpected packet from server"),
# a client-side guard; a hub may batch more than that (e.g. 50 acks), so the tests' clients accept more.
engineio.payload.Payload.max_decode_packets = 4096

HOST = "127.0.0.1"
LISTEN_RE = re.compile(r"listening on ([0-9.]+):(\d+)")
SANITIZER_RE = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|UndefinedBehaviorSanitizer")

# A config with short heartbeats so that pings happen during the tests.
DEFAULT_CONFIG = {
    "pingInterval": 400,
    "pingTimeout": 1500,
    "connectTimeout": 3000,
    "namespaces": {
        "/": {"app": "echo"},
        "/custom": {"app": "echo"},
        "/chat": {"app": "relay"},
    },
}


class HubError(Exception):
    """The target could not be started or stopped as the contract says."""


class Unavailable(Exception):
    """The selected target has no such program (e.g. no reference example); tests may skip on it."""


def source_dir():
    d = os.environ.get("HUB_SOURCE_DIR")
    if d:
        return os.path.abspath(d)
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def target():
    t = os.environ.get("HUB_TARGET", "hubbub").strip() or "hubbub"
    if t not in ("hubbub", "reference"):
        raise HubError("HUB_TARGET must be 'hubbub' or 'reference', not %r" % t)
    return t


def hub_bin():
    return os.environ.get("HUBBUB_BIN") or os.path.join(source_dir(), "build", "hubbub")


def node_env():
    env = dict(os.environ)
    env.setdefault("NODE_PATH", os.path.join(source_dir(), "node_modules"))
    return env


def hub_command():
    """The argv prefix that runs the hub of the selected target (flags are appended)."""
    if target() == "reference":
        cmd = os.environ.get("HUB_REFERENCE_CMD")
        if cmd:
            return shlex.split(cmd)
        script = os.path.join(source_dir(), "tests", "reference", "server.js")
        if not os.path.exists(script):
            raise HubError("no reference server at %s" % script)
        return ["node", script]
    path = hub_bin()
    if not os.access(path, os.X_OK):
        raise HubError("hub binary %s is missing or not executable" % path)
    return [path]


def example_command():
    """The argv prefix that runs the example program of the selected target."""
    if target() == "reference":
        cmd = os.environ.get("HUB_REFERENCE_EXAMPLE_CMD")
        if cmd:
            return shlex.split(cmd)
        script = os.path.join(source_dir(), "tests", "reference", "example.js")
        if not os.path.exists(script):
            raise Unavailable("the reference target has no example program (%s)" % script)
        return ["node", script]
    path = os.environ.get("HUBBUB_EXAMPLE_BIN") or os.path.join(
        os.path.dirname(hub_bin()), "examples", "hubbub-example")
    if not os.access(path, os.X_OK):
        raise HubError("example binary %s is missing or not executable" % path)
    return [path]


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago (for tests that need a fixed port)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, 0))
        return s.getsockname()[1]
    finally:
        s.close()


class Hub:
    """One running target. Use start()/stop() or a with-block.

    kind: "hub" (the hub with a config file) or "example" (the example program, no config).
    """

    def __init__(self, config=None, kind="hub", port=0, host=HOST):
        self.kind = kind
        self.config = DEFAULT_CONFIG if config is None else config
        self.host = host
        self.requested_port = port
        self.port = None
        self.proc = None
        self.returncode = None
        self.stdout_lines = []
        self._ready = threading.Event()
        self._tmpdir = tempfile.TemporaryDirectory(prefix="pyhub-")
        self._stderr_path = os.path.join(self._tmpdir.name, "stderr.log")
        self._stderr = None
        self._reader = None
        self._starts = 0

    # -- lifecycle -------------------------------------------------------------------------------------
    def argv(self):
        flags = ["--port", str(self.requested_port), "--host", self.host]
        if self.kind == "example":
            return example_command() + flags
        cfg_path = os.path.join(self._tmpdir.name, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(self.config, f)
        return hub_command() + flags + ["--config", cfg_path]

    def start(self, timeout=None):
        """Starts the target and waits for its listening line; returns self. Raises HubError on failure."""
        if self.proc is not None and self.proc.poll() is None:
            raise HubError("already running")
        if timeout is None:
            timeout = float(os.environ.get("HUB_START_TIMEOUT", "15"))
        argv = self.argv()
        self._starts += 1
        self._ready.clear()
        self.returncode = None
        self.port = None
        self._stderr = open(self._stderr_path, "ab")
        self._stderr.write(("--- start %d: %s\n" % (self._starts, " ".join(argv))).encode())
        self._stderr.flush()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=node_env(), close_fds=True)
        self._reader = threading.Thread(target=self._read_stdout, args=(self.proc,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                self._reader.join(2)
                if self._ready.is_set():
                    break
                rc = self.proc.returncode
                self._close_stderr()
                raise HubError("%s exited with %s before listening\n%s" % (argv[0], rc, self.stderr_tail()))
            if time.monotonic() > deadline:
                self._kill()
                raise HubError("%s printed no listening line within %.1fs\nstdout: %r\n%s"
                               % (argv[0], timeout, self.stdout_lines, self.stderr_tail()))
        if self.requested_port and self.port != self.requested_port:
            self._kill()
            raise HubError("asked for port %d, the target listens on %s" % (self.requested_port, self.port))
        return self

    def _read_stdout(self, proc):
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.stdout_lines.append(line)
            if not self._ready.is_set():
                m = LISTEN_RE.search(line)
                if m:
                    self.port = int(m.group(2))
                    self._ready.set()
        proc.stdout.close()

    def stop(self, timeout=10):
        """Sends SIGTERM to the target's PID and waits; returns its exit code (SIGKILL and HubError on hang)."""
        if self.proc is None:
            return self.returncode
        proc = self.proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise HubError("target did not exit within %.1fs of SIGTERM\n%s" % (timeout, self.stderr_tail()))
        self.returncode = proc.returncode
        if self._reader is not None:
            self._reader.join(2)
        self.proc = None
        self._close_stderr()
        return self.returncode

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is not None:
            self.returncode = self.proc.returncode
        self.proc = None
        self._close_stderr()

    def _close_stderr(self):
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def close(self):
        """Stops the target if it still runs (SIGKILL if it must) and removes the temporary files.
        Raises HubError when the target's stderr holds a sanitizer report (ASan, LSan, UBSan): a
        report fails the test that started the hub, as in the Node.js harness (lib/hub.js)."""
        report = None
        try:
            if self.proc is not None:
                try:
                    self.stop()
                except HubError:
                    pass
            text = self.stderr_text()
            m = SANITIZER_RE.search(text)
            if m:
                report = text[max(0, m.start() - 200):m.start() + 3000]
        finally:
            self._kill()
            self._tmpdir.cleanup()
        if report:
            raise HubError("the hub reported a sanitizer error:\n%s" % report)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr_text(self):
        if self._stderr is not None:
            self._stderr.flush()
        try:
            with open(self._stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_tail(self, lines=40):
        text = self.stderr_text().splitlines()
        return "stderr (last %d lines):\n%s" % (lines, "\n".join(text[-lines:]))

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False


# -- a client that handles packets in arrival order ------------------------------------------------------
class OrderedEngineIOClient(engineio.Client):
    """python-engineio 4.3 hands every incoming message to a new thread, so two packets can be handled out
    of order (and a binary attachment can overtake its placeholder packet). The tests need arrival order,
    so messages are dispatched on the reading thread. Incoming engine.io packet types are counted."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.packet_counts = {}
        self.packet_cond = threading.Condition()

    def _trigger_event(self, event, *args, **kwargs):
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)

    def _receive_packet(self, pkt):
        with self.packet_cond:
            self.packet_counts[pkt.packet_type] = self.packet_counts.get(pkt.packet_type, 0) + 1
            self.packet_cond.notify_all()
        return super()._receive_packet(pkt)

    def wait_packets(self, packet_type, count, timeout):
        """Waits until count packets of packet_type arrived in total; returns whether they did."""
        with self.packet_cond:
            return self.packet_cond.wait_for(lambda: self.packet_counts.get(packet_type, 0) >= count, timeout)


class Client(socketio.Client):
    """socketio.Client with in-order dispatch, no SIGINT handler and no reconnection unless asked.

    Keeps a log of the Socket.IO packets received: (type, namespace, data) with binary placeholders
    already replaced."""

    def __init__(self, **kwargs):
        kwargs.setdefault("reconnection", False)
        kwargs.setdefault("handle_sigint", False)
        super().__init__(**kwargs)
        self.received_packets = []
        self.packets_cond = threading.Condition()

    def _engineio_client_class(self):
        return OrderedEngineIOClient

    def _log_packet(self, pkt):
        with self.packets_cond:
            self.received_packets.append((pkt.packet_type, pkt.namespace or "/", pkt.data))
            self.packets_cond.notify_all()

    def _handle_connect(self, namespace, data):
        self._log_packet(self.packet_class(socketio.packet.CONNECT, namespace=namespace, data=data))
        return super()._handle_connect(namespace, data)

    def _handle_disconnect(self, namespace):
        self._log_packet(self.packet_class(socketio.packet.DISCONNECT, namespace=namespace))
        return super()._handle_disconnect(namespace)

    def _handle_error(self, namespace, data):
        self._log_packet(self.packet_class(socketio.packet.CONNECT_ERROR, namespace=namespace, data=data))
        return super()._handle_error(namespace, data)

    def wait_packet(self, packet_type, namespace="/", timeout=5):
        """Waits for a received Socket.IO packet of that type and namespace; returns it or None."""
        def find():
            for p in self.received_packets:
                if p[0] == packet_type and p[1] == namespace:
                    return p
            return None
        with self.packets_cond:
            self.packets_cond.wait_for(lambda: find() is not None, timeout)
            return find()


class Recorder:
    """Collects calls of event handlers: on(client, event, namespace) registers a handler that records its
    arguments; wait(event, n) blocks (bounded) until n calls of that event arrived."""

    def __init__(self):
        self.calls = {}
        self.order = []
        self.cond = threading.Condition()

    def on(self, client, event, namespace="/", returns=None):
        def handler(*args):
            self.record(event, args)
            return returns
        client.on(event, handler, namespace=namespace)
        return handler

    def record(self, event, args):
        with self.cond:
            self.calls.setdefault(event, []).append(args)
            self.order.append((event, args))
            self.cond.notify_all()

    def wait(self, event, count=1, timeout=5):
        """Returns the first count argument tuples of event, or raises AssertionError after timeout."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.calls.get(event, [])) >= count, timeout):
                raise AssertionError("waited %.1fs for %d x %r, got %r (all: %r)"
                                     % (timeout, count, event, self.calls.get(event, []), self.order))
            return list(self.calls[event][:count])

    def get(self, event):
        with self.cond:
            return list(self.calls.get(event, []))
