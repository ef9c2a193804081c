#!/usr/bin/env python3
"""http_receiver.py - an SNS HTTP/S subscriber endpoint for Hubbub's integration tests.

Listens on 127.0.0.1, answers every POST with the next status of --status (the last one repeats),
and prints one JSON line per request on stdout:

    {"n": 1, "method": "POST", "path": "/hook", "headers": {...}, "body": "...",
     "status": 200, "body_signature_ok": true, "envelope_signature_ok": true, "type": "Notification"}

body_signature_ok checks X-Hubbub-Signature (HMAC-SHA256 of the exact body bytes with --secret);
envelope_signature_ok checks the envelope's Signature field as an SNS message validator does: the
certificate is fetched from SigningCertURL (once per URL) and the base64 RSA signature over SNS's
string-to-sign verified with it, SHA1 for SignatureVersion "1", SHA256 for "2" (python3
cryptography); null for a raw (non-envelope) body. With --confirm, a SubscriptionConfirmation's
SubscribeURL is fetched (GET), as a real subscriber would. verify_envelope() is importable.

The first line printed is {"listening": PORT}. Stdlib and python3-cryptography; stops on
SIGTERM/SIGINT or stdin EOF (--stdin-eof). Usage:

    python3 http_receiver.py [--port 0] [--secret S] [--status 500,500,200] [--delay-ms N]
                             [--confirm] [--tls CERT KEY] [--stdin-eof]
"""
import argparse
import base64
import binascii
import hashlib
import hmac
import json
import signal
import ssl
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

NOTIFICATION_KEYS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
CONFIRMATION_KEYS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


def string_to_sign(env):
    keys = NOTIFICATION_KEYS if env.get("Type") == "Notification" else CONFIRMATION_KEYS
    out = ""
    for k in keys:
        if k in env:
            out += k + "\n" + env[k] + "\n"
    return out


def verify_envelope(env, cert_pem):
    """True when env's Signature holds under its SignatureVersion with the PEM certificate."""
    digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(env.get("SignatureVersion"))
    if digest is None or not isinstance(env.get("Signature"), str):
        return False
    if isinstance(cert_pem, str):
        cert_pem = cert_pem.encode()
    try:
        key = x509.load_pem_x509_certificate(cert_pem).public_key()
        key.verify(base64.b64decode(env["Signature"], validate=True),
                   string_to_sign(env).encode("utf-8"), padding.PKCS1v15(), digest)
        return True
    except (InvalidSignature, ValueError, binascii.Error):
        return False


_certs = {}


def fetch_cert(url):
    if url not in _certs:
        with urllib.request.urlopen(url, timeout=5) as r:
            _certs[url] = r.read()
    return _certs[url]


def check_envelope(body):
    try:
        env = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(env, dict) or "Type" not in env:
        return None, None
    if "Signature" not in env:
        return env.get("Type"), None  # FIFO notifications carry no signature, as in SNS
    try:
        cert = fetch_cert(env.get("SigningCertURL", ""))
    except Exception:  # no certificate: the signature cannot hold
        return env.get("Type"), False
    return env.get("Type"), verify_envelope(env, cert)


class State:
    def __init__(self, statuses, secret, delay_ms, confirm):
        self.statuses = statuses
        self.secret = secret
        self.delay_ms = delay_ms
        self.confirm = confirm
        self.lock = threading.Lock()
        self.count = 0


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # keep stdout for the JSON lines
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            with state.lock:
                state.count += 1
                n = state.count
                status = state.statuses[min(n, len(state.statuses)) - 1]
            sig = self.headers.get("X-Hubbub-Signature")
            want = "sha256=" + hmac.new(state.secret, body, hashlib.sha256).hexdigest()
            kind, env_ok = check_envelope(body.decode("utf-8", "replace"))
            record = {
                "n": n,
                "method": "POST",
                "path": self.path,
                "headers": {k: v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "status": status,
                "body_signature_ok": sig is not None and hmac.compare_digest(sig, want),
                "envelope_signature_ok": env_ok,
                "type": kind,
            }
            print(json.dumps(record), flush=True)
            if state.delay_ms:
                time.sleep(state.delay_ms / 1000.0)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up (a timeout test)
            if state.confirm and kind == "SubscriptionConfirmation" and status < 300:
                url = json.loads(body)["SubscribeURL"]
                threading.Thread(target=lambda: fetch(url), daemon=True).start()

    return Handler


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            print(json.dumps({"confirmed": url, "status": r.status}), flush=True)
    except Exception as e:  # report, do not crash the receiver
        print(json.dumps({"confirmed": url, "error": str(e)}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--secret", default="")
    ap.add_argument("--status", default="200")
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--confirm", action="store_true")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--stdin-eof", action="store_true", help="exit when stdin closes")
    a = ap.parse_args()

    state = State([int(s) for s in a.status.split(",")], a.secret.encode(), a.delay_ms, a.confirm)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(state))
    srv.daemon_threads = True
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if a.stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
    print(json.dumps({"listening": srv.server_address[1]}), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
