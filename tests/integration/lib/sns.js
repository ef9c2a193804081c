// SNS message signatures checked the way receivers check Amazon's (AWS's "Verifying the signatures
// of Amazon SNS messages", and what npm sns-validator does): SNS's canonical string-to-sign from the
// envelope's fields, the PEM certificate fetched from SigningCertURL, and RSA-SHA1 for
// SignatureVersion "1" or RSA-SHA256 for "2" with node:crypto. No hub code is involved.
"use strict";

const assert = require("node:assert/strict");
const crypto = require("node:crypto");

const NOTIFICATION_KEYS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"];
const CONFIRMATION_KEYS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
const ALGORITHMS = { 1: "RSA-SHA1", 2: "RSA-SHA256" };

// "Key\nvalue\n" for each signed key the envelope has (Subject only when present), in SNS's order.
function stringToSign(env) {
  const keys = env.Type === "Notification" ? NOTIFICATION_KEYS : CONFIRMATION_KEYS;
  return keys.filter((k) => k in env).map((k) => `${k}\n${env[k]}\n`).join("");
}

// GETs the certificate an envelope names; checks what a validator checks of the URL and the answer
// (a .pem path, a PEM certificate), and that the hub serves it (origin, when given).
async function fetchCert(env, origin) {
  const url = env.SigningCertURL;
  assert.match(url, /^https?:\/\/[^/]+\/_hubbub\/sns\/SigningCert-[0-9a-f]{16}\.pem$/, url);
  if (origin) assert.equal(new URL(url).origin, origin);
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  assert.equal(res.headers.get("content-type"), "application/x-pem-file");
  const pem = await res.text();
  assert.match(pem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
  return pem;
}

// true when env's Signature holds under its SignatureVersion with certificate pem.
function verifyEnvelope(env, pem) {
  const alg = ALGORITHMS[env.SignatureVersion];
  if (!alg || typeof env.Signature !== "string") return false;
  return crypto.verify(alg, Buffer.from(stringToSign(env), "utf8"), pem, Buffer.from(env.Signature, "base64"));
}

// Asserts that env is signed under version and verifies with pem, and that changing what is
// signed (the message, the version) breaks it.
function assertSigned(env, pem, version) {
  assert.equal(env.SignatureVersion, String(version));
  assert.equal(verifyEnvelope(env, pem), true, `${env.Type} signature (version ${version})`);
  assert.equal(verifyEnvelope({ ...env, Message: `${env.Message}!` }, pem), false, "a tampered message");
  assert.equal(verifyEnvelope({ ...env, SignatureVersion: version === 1 ? "2" : "1" }, pem), false, "the other version");
}

module.exports = { stringToSign, fetchCert, verifyEnvelope, assertSigned };
