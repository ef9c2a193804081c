// Hubbub's SQS and SNS wire APIs (docs/AWS.md) driven by the real AWS SDK for JavaScript v3:
// @aws-sdk/client-sqs over AWS JSON 1.0 (its default) and over the Query protocol (selected with the
// client's `protocol` option), @aws-sdk/client-sns over the Query protocol. Nothing is mocked: the SDK
// signs, serializes, checks MD5s and maps errors to its typed exceptions as it does against AWS.
// A socket.io-client and a small HTTP receiver stand in for the other doors of the same store.
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const http = require("node:http");
const hubs = require("./lib/hub");
const { ClientPool, sleep } = require("./lib/clients");
const snsSig = require("./lib/sns");

const sqsMod = require("@aws-sdk/client-sqs");
const snsMod = require("@aws-sdk/client-sns");
const { AwsQueryProtocol } = require("@aws-sdk/core/protocols");

const T = { timeout: 30000 };
const ACCOUNT = "000000000000";
const SECRET = "hub-signing-secret";

// The SDK's node-version notice is not a test failure.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "NodeVersionSupportWarning") console.warn(w);
});

function clientConfig(url, extra = {}) {
  return {
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "dummy" },
    maxAttempts: 1,
    ...extra,
  };
}

function sqsClient(url, protocol, extra = {}) {
  if (protocol === "json") return new sqsMod.SQSClient(clientConfig(url, extra));
  return new sqsMod.SQSClient(clientConfig(url, {
    protocol: AwsQueryProtocol,
    protocolSettings: {
      defaultNamespace: "com.amazonaws.sqs",
      errorTypeRegistries: sqsMod.errorTypeRegistries,
      xmlNamespace: "http://queue.amazonaws.com/doc/2012-11-05/",
      version: "2012-11-05",
    },
    ...extra,
  }));
}

// MD5OfMessageAttributes computed here, independently of the hub (aws-wire §3.5).
function md5OfAttributes(attrs) {
  const len = (b) => {
    const x = Buffer.alloc(4);
    x.writeUInt32BE(b.length);
    return x;
  };
  const parts = [];
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name];
    const nb = Buffer.from(name), tb = Buffer.from(a.DataType);
    parts.push(len(nb), nb, len(tb), tb);
    const binary = a.DataType.startsWith("Binary");
    const v = binary ? Buffer.from(a.BinaryValue) : Buffer.from(a.StringValue, "utf8");
    parts.push(Buffer.from([binary ? 2 : 1]), len(v), v);
  }
  return crypto.createHash("md5").update(Buffer.concat(parts)).digest("hex");
}

const md5 = (s) => crypto.createHash("md5").update(Buffer.from(s, "utf8")).digest("hex");

// Runs fn and returns the error it throws (fails when it does not).
async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected an error");
}

const S = (name, input) => new sqsMod[`${name}Command`](input);
const N = (name, input) => new snsMod[`${name}Command`](input);

describe("AWS SDK for JavaScript v3 against Hubbub", { skip: hubs.IS_REFERENCE && "the reference has no AWS API" }, () => {
  let hub, url, sns;
  const pool = new ClientPool();
  const clients = {};

  before(async () => {
    hub = await hubs.start({
      config: {
        aws: {},
        logLevel: "warn",
        namespaces: { "/": { app: "relay" }, "/bus": { bus: true } },
        bus: { signingSecret: SECRET },
        queues: { "bridged-q": {} },
        topics: { bridged: { subscriptions: [{ queue: "bridged-q", raw: true }] } },
        bridges: [{ namespace: "/", event: "order", topic: "bridged", attributes: ["kind"] }],
      },
    });
    url = hub.url;
    clients.json = sqsClient(url, "json");
    clients.query = sqsClient(url, "query");
    sns = new snsMod.SNSClient(clientConfig(url));
  });

  after(async () => {
    pool.closeAll();
    if (hub) await hub.stop();
  });

  for (const proto of ["json", "query"]) {
    describe(`SQS over ${proto === "json" ? "AWS JSON 1.0" : "the Query protocol"}`, () => {
      const sqs = () => clients[proto];
      const q = (name) => `${proto}-${name}`;

      it("creates, finds, lists (prefix, pages), describes, tags and deletes queues", T, async () => {
        const { QueueUrl } = await sqs().send(S("CreateQueue", {
          QueueName: q("life"), Attributes: { VisibilityTimeout: "45", DelaySeconds: "1" }, tags: { team: "a" },
        }));
        assert.equal(QueueUrl, `${url}/${ACCOUNT}/${q("life")}`);
        // idempotent with the same attributes; QueueNameExists with others
        await sqs().send(S("CreateQueue", { QueueName: q("life"), Attributes: { VisibilityTimeout: "45" } }));
        const e = await rejects(sqs().send(S("CreateQueue", { QueueName: q("life"), Attributes: { VisibilityTimeout: "9" } })));
        assert.equal(e.name, "QueueNameExists");
        assert.equal((await sqs().send(S("GetQueueUrl", { QueueName: q("life") }))).QueueUrl, QueueUrl);
        for (const n of ["a", "b", "c"]) await sqs().send(S("CreateQueue", { QueueName: q(`page-${n}`) }));
        const all = await sqs().send(S("ListQueues", { QueueNamePrefix: q("page-") }));
        assert.deepEqual(all.QueueUrls, ["a", "b", "c"].map((n) => `${url}/${ACCOUNT}/${q(`page-${n}`)}`));
        assert.equal(all.NextToken, undefined);
        const p1 = await sqs().send(S("ListQueues", { QueueNamePrefix: q("page-"), MaxResults: 2 }));
        assert.equal(p1.QueueUrls.length, 2);
        assert.ok(p1.NextToken);
        const p2 = await sqs().send(S("ListQueues", { QueueNamePrefix: q("page-"), MaxResults: 2, NextToken: p1.NextToken }));
        assert.deepEqual(p2.QueueUrls, [`${url}/${ACCOUNT}/${q("page-c")}`]);
        assert.equal(p2.NextToken, undefined);

        let { Attributes } = await sqs().send(S("GetQueueAttributes", { QueueUrl, AttributeNames: ["All"] }));
        assert.equal(Attributes.VisibilityTimeout, "45");
        assert.equal(Attributes.DelaySeconds, "1");
        assert.equal(Attributes.QueueArn, `arn:aws:sqs:us-east-1:${ACCOUNT}:${q("life")}`);
        await sqs().send(S("SetQueueAttributes", { QueueUrl, Attributes: { VisibilityTimeout: "10", MessageRetentionPeriod: "120" } }));
        ({ Attributes } = await sqs().send(S("GetQueueAttributes", { QueueUrl, AttributeNames: ["VisibilityTimeout", "MessageRetentionPeriod"] })));
        assert.deepEqual(Attributes, { VisibilityTimeout: "10", MessageRetentionPeriod: "120" });
        const bad = await rejects(sqs().send(S("GetQueueAttributes", { QueueUrl, AttributeNames: ["Bogus"] })));
        assert.equal(bad.name, "InvalidAttributeName");
        const badv = await rejects(sqs().send(S("SetQueueAttributes", { QueueUrl, Attributes: { VisibilityTimeout: "99999" } })));
        assert.equal(badv.name, "InvalidAttributeValue");

        await sqs().send(S("TagQueue", { QueueUrl, Tags: { env: "test", team: "b" } }));
        await sqs().send(S("UntagQueue", { QueueUrl, TagKeys: ["env"] }));
        assert.deepEqual((await sqs().send(S("ListQueueTags", { QueueUrl }))).Tags, { team: "b" });

        await sqs().send(S("DeleteQueue", { QueueUrl }));
        const gone = await rejects(sqs().send(S("GetQueueUrl", { QueueName: q("life") })));
        assert.equal(gone.name, "QueueDoesNotExist");
        assert.equal(gone.Code, "AWS.SimpleQueueService.NonExistentQueue");
        assert.equal(gone.$metadata.httpStatusCode, 400);
      });

      it("sends and receives with attributes, checked MD5s, system attributes and filters", T, async () => {
        const { QueueUrl } = await sqs().send(S("CreateQueue", { QueueName: q("msgs") }));
        const attrs = {
          "trace.id": { DataType: "String", StringValue: "abc" },
          "trace.span": { DataType: "Number.int", StringValue: "42" },
          bin: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 255]) },
        };
        const body = "héllo wörld \u{1F600} <&>\r\n";
        const sent = await sqs().send(S("SendMessage", {
          QueueUrl, MessageBody: body, MessageAttributes: attrs,
          MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-abc" } },
        }));
        assert.equal(sent.MD5OfMessageBody, md5(body));
        assert.equal(sent.MD5OfMessageAttributes, md5OfAttributes(attrs));
        assert.equal(sent.MD5OfMessageSystemAttributes,
          md5OfAttributes({ AWSTraceHeader: { DataType: "String", StringValue: "Root=1-abc" } }));
        const r = await sqs().send(S("ReceiveMessage", {
          QueueUrl, MessageAttributeNames: ["trace.*"], MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount", "AWSTraceHeader"],
          VisibilityTimeout: 30,
        }));
        assert.equal(r.Messages.length, 1);
        const m = r.Messages[0];
        assert.equal(m.Body, body);
        assert.equal(m.MessageId, sent.MessageId);
        assert.equal(m.MD5OfBody, md5(body));
        assert.deepEqual(Object.keys(m.MessageAttributes).sort(), ["trace.id", "trace.span"]);
        assert.equal(m.MD5OfMessageAttributes, md5OfAttributes({ "trace.id": attrs["trace.id"], "trace.span": attrs["trace.span"] }));
        assert.deepEqual(Object.keys(m.Attributes).sort(), ["AWSTraceHeader", "ApproximateReceiveCount", "SentTimestamp"]);
        assert.equal(m.Attributes.ApproximateReceiveCount, "1");
        assert.equal(m.Attributes.AWSTraceHeader, "Root=1-abc");
        assert.ok(Math.abs(Number(m.Attributes.SentTimestamp) - Date.now()) < 60000);
        // in flight: nothing more; back after ChangeMessageVisibility(0), with every attribute
        assert.equal((await sqs().send(S("ReceiveMessage", { QueueUrl }))).Messages, undefined);
        await sqs().send(S("ChangeMessageVisibility", { QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
        const again = await sqs().send(S("ReceiveMessage", { QueueUrl, MessageAttributeNames: ["All"], AttributeNames: ["All"] }));
        const m2 = again.Messages[0];
        assert.equal(m2.MessageId, m.MessageId);
        assert.notEqual(m2.ReceiptHandle, m.ReceiptHandle);
        assert.equal(m2.Attributes.ApproximateReceiveCount, "2");
        assert.equal(m2.Attributes.SenderId, "AKIDTEST");
        assert.deepEqual(Buffer.from(m2.MessageAttributes.bin.BinaryValue), Buffer.from([0, 1, 2, 255]));
        assert.equal(m2.MD5OfMessageAttributes, md5OfAttributes(attrs));
        // the first receipt handle is stale now
        const stale = await rejects(sqs().send(S("DeleteMessage", { QueueUrl, ReceiptHandle: m.ReceiptHandle })));
        assert.equal(stale.name, "ReceiptHandleIsInvalid");
        assert.equal(stale.$metadata.httpStatusCode, 404);
        await sqs().send(S("DeleteMessage", { QueueUrl, ReceiptHandle: m2.ReceiptHandle }));
        const notin = await rejects(sqs().send(S("ChangeMessageVisibility", { QueueUrl, ReceiptHandle: "garbage", VisibilityTimeout: 5 })));
        assert.equal(notin.name, "ReceiptHandleIsInvalid");

        // MaxNumberOfMessages, then PurgeQueue (and its once-a-minute rule)
        for (let i = 0; i < 5; i++) await sqs().send(S("SendMessage", { QueueUrl, MessageBody: `m${i}` }));
        const three = await sqs().send(S("ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 3 }));
        assert.equal(three.Messages.length, 3);
        await sqs().send(S("PurgeQueue", { QueueUrl }));
        const { Attributes } = await sqs().send(S("GetQueueAttributes", { QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
        assert.deepEqual(Attributes, { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
        const purge = await rejects(sqs().send(S("PurgeQueue", { QueueUrl })));
        assert.equal(purge.name, "PurgeQueueInProgress");
        assert.equal(purge.$metadata.httpStatusCode, 403);
      });

      it("answers bad requests with the errors the SDK types", T, async () => {
        const { QueueUrl } = await sqs().send(S("CreateQueue", { QueueName: q("errors"), Attributes: { MaximumMessageSize: "1024" } }));
        const long = await rejects(sqs().send(S("SendMessage", { QueueUrl, MessageBody: "x".repeat(1025) })));
        assert.equal(long.name, "InvalidParameterValue");
        assert.equal(long.$metadata.httpStatusCode, 400);
        const max = await rejects(sqs().send(S("ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 11 })));
        assert.equal(max.name, "InvalidParameterValue");
        assert.match(max.message, /MaxNumberOfMessages/);
        const wait = await rejects(sqs().send(S("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 21 })));
        assert.equal(wait.name, "InvalidParameterValue");
        const chars = await rejects(sqs().send(S("SendMessage", { QueueUrl, MessageBody: "bad \u0001 char" })));
        assert.equal(chars.name, "InvalidMessageContents");
        const attr = await rejects(sqs().send(S("SendMessage", { QueueUrl, MessageBody: "x", MessageAttributes: { "AWS.x": { DataType: "String", StringValue: "v" } } })));
        assert.equal(attr.name, "InvalidParameterValue");
        const unknown = await rejects(sqs().send(S("CreateQueue", { QueueName: q("x"), Attributes: { Nope: "1" } })));
        assert.equal(unknown.name, "InvalidAttributeName");
        const badName = await rejects(sqs().send(S("CreateQueue", { QueueName: "bad name!" })));
        assert.equal(badName.name, "InvalidParameterValue");
        const missing = await rejects(sqs().send(S("SendMessage", { QueueUrl: `${url}/${ACCOUNT}/${q("nope")}`, MessageBody: "x" })));
        assert.equal(missing.name, "QueueDoesNotExist");
        // batches: whole-request errors
        const empty = await rejects(sqs().send(S("SendMessageBatch", { QueueUrl, Entries: [] })));
        assert.equal(empty.name, "EmptyBatchRequest");
        const many = await rejects(sqs().send(S("SendMessageBatch", { QueueUrl, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: "x" })) })));
        assert.equal(many.name, "TooManyEntriesInBatchRequest");
        const dup = await rejects(sqs().send(S("DeleteMessageBatch", { QueueUrl, Entries: [{ Id: "a", ReceiptHandle: "r" }, { Id: "a", ReceiptHandle: "r" }] })));
        assert.equal(dup.name, "BatchEntryIdsNotDistinct");
        const badId = await rejects(sqs().send(S("ChangeMessageVisibilityBatch", { QueueUrl, Entries: [{ Id: "no spaces", ReceiptHandle: "r", VisibilityTimeout: 1 }] })));
        assert.equal(badId.name, "InvalidBatchEntryId");
        const big = await rejects(sqs().send(S("SendMessageBatch", { QueueUrl, Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `e${i}`, MessageBody: "y".repeat(250000) })) })));
        assert.equal(big.name, "BatchRequestTooLong");
      });

      it("reports batch partial failures per entry", T, async () => {
        const { QueueUrl } = await sqs().send(S("CreateQueue", { QueueName: q("batch"), Attributes: { MaximumMessageSize: "1024" } }));
        const sent = await sqs().send(S("SendMessageBatch", {
          QueueUrl,
          Entries: [
            { Id: "ok1", MessageBody: "one", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } },
            { Id: "long", MessageBody: "z".repeat(2000) },
            { Id: "delay", MessageBody: "x", DelaySeconds: 901 },
            { Id: "ok2", MessageBody: "two" },
          ],
        }));
        assert.deepEqual(sent.Successful.map((e) => e.Id), ["ok1", "ok2"]);
        assert.equal(sent.Successful[0].MD5OfMessageBody, md5("one"));
        assert.equal(sent.Successful[0].MD5OfMessageAttributes, md5OfAttributes({ k: { DataType: "String", StringValue: "v" } }));
        assert.deepEqual(sent.Failed.map((e) => [e.Id, e.SenderFault, e.Code]), [
          ["long", true, "InvalidParameterValue"], ["delay", true, "InvalidParameterValue"]]);
        const got = await sqs().send(S("ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 10 }));
        assert.equal(got.Messages.length, 2);
        const [a, b] = got.Messages;
        const ch = await sqs().send(S("ChangeMessageVisibilityBatch", {
          QueueUrl, Entries: [{ Id: "a", ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 60 }, { Id: "bad", ReceiptHandle: "nonsense", VisibilityTimeout: 1 }],
        }));
        assert.deepEqual(ch.Successful.map((e) => e.Id), ["a"]);
        assert.deepEqual(ch.Failed.map((e) => [e.Id, e.Code]), [["bad", "ReceiptHandleIsInvalid"]]);
        const del = await sqs().send(S("DeleteMessageBatch", {
          QueueUrl, Entries: [{ Id: "a", ReceiptHandle: a.ReceiptHandle }, { Id: "b", ReceiptHandle: b.ReceiptHandle }, { Id: "c", ReceiptHandle: "junk" }],
        }));
        assert.deepEqual(del.Successful.map((e) => e.Id), ["a", "b"]);
        assert.deepEqual(del.Failed.map((e) => e.Id), ["c"]);
      });

      it("long-polls: woken by a send, a delay ending and a visibility timeout ending", T, async () => {
        const { QueueUrl } = await sqs().send(S("CreateQueue", { QueueName: q("poll") }));
        // an empty poll lasts its WaitTimeSeconds
        let t0 = Date.now();
        assert.equal((await sqs().send(S("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 1 }))).Messages, undefined);
        assert.ok(Date.now() - t0 >= 900, "the poll returned early");
        // a send wakes it
        t0 = Date.now();
        const poll = sqs().send(S("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 10 }));
        await sleep(300);
        await sqs().send(S("SendMessage", { QueueUrl, MessageBody: "wake" }));
        const r1 = await poll;
        assert.equal(r1.Messages[0].Body, "wake");
        assert.ok(Date.now() - t0 < 3000);
        // the visibility timeout ending wakes it
        await sqs().send(S("ChangeMessageVisibility", { QueueUrl, ReceiptHandle: r1.Messages[0].ReceiptHandle, VisibilityTimeout: 1 }));
        t0 = Date.now();
        const r3 = await sqs().send(S("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 10 }));
        assert.equal(r3.Messages[0].MessageId, r1.Messages[0].MessageId);
        assert.ok(Date.now() - t0 >= 500 && Date.now() - t0 < 4000);
        await sqs().send(S("DeleteMessage", { QueueUrl, ReceiptHandle: r3.Messages[0].ReceiptHandle }));
        // a delay ending wakes it (not before)
        t0 = Date.now();
        await sqs().send(S("SendMessage", { QueueUrl, MessageBody: "later", DelaySeconds: 1 }));
        const r4 = await sqs().send(S("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 10 }));
        const took = Date.now() - t0;
        assert.equal(r4.Messages[0].Body, "later");
        assert.ok(took >= 900 && took < 4000, `woke after ${took} ms`);
        // the queue's ReceiveMessageWaitTimeSeconds applies when the request names none
        await sqs().send(S("SetQueueAttributes", { QueueUrl, Attributes: { ReceiveMessageWaitTimeSeconds: "1" } }));
        t0 = Date.now();
        await sqs().send(S("ReceiveMessage", { QueueUrl }));
        assert.ok(Date.now() - t0 >= 900);
      });

      it("keeps FIFO order per group, de-duplicates, and repeats a receive by its attempt id", T, async () => {
        const { QueueUrl } = await sqs().send(S("CreateQueue", { QueueName: q("orders.fifo"), Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }));
        const nofifo = await rejects(sqs().send(S("CreateQueue", { QueueName: q("plain.fifo") })));
        assert.equal(nofifo.name, "InvalidParameterValue");
        const s1 = await sqs().send(S("SendMessageBatch", {
          QueueUrl, Entries: [
            { Id: "a", MessageBody: "g1-1", MessageGroupId: "g1", MessageDeduplicationId: "d1" },
            { Id: "b", MessageBody: "g1-2", MessageGroupId: "g1" },
            { Id: "c", MessageBody: "g2-1", MessageGroupId: "g2" },
          ],
        }));
        assert.equal(s1.Successful.length, 3);
        assert.ok(s1.Successful.every((e) => /^\d{20}$/.test(e.SequenceNumber)));
        assert.ok(BigInt(s1.Successful[1].SequenceNumber) > BigInt(s1.Successful[0].SequenceNumber));
        // duplicates (same dedup id; same body with content-based dedup): same id, not enqueued
        const dup1 = await sqs().send(S("SendMessage", { QueueUrl, MessageBody: "other", MessageGroupId: "g1", MessageDeduplicationId: "d1" }));
        assert.equal(dup1.MessageId, s1.Successful[0].MessageId);
        const dup2 = await sqs().send(S("SendMessage", { QueueUrl, MessageBody: "g1-2", MessageGroupId: "g1" }));
        assert.equal(dup2.MessageId, s1.Successful[1].MessageId);
        const nogroup = await rejects(sqs().send(S("SendMessage", { QueueUrl, MessageBody: "x" })));
        assert.equal(nogroup.name, "MissingParameter");
        const delay = await rejects(sqs().send(S("SendMessage", { QueueUrl, MessageBody: "x", MessageGroupId: "g3", DelaySeconds: 2 })));
        assert.equal(delay.name, "InvalidParameterValue");

        const r1 = await sqs().send(S("ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 10, ReceiveRequestAttemptId: "attempt-1", AttributeNames: ["All"] }));
        const bodies = r1.Messages.map((m) => m.Body);
        assert.deepEqual(bodies.filter((b) => b.startsWith("g1")), ["g1-1", "g1-2"]);
        assert.equal(bodies.length, 3);
        assert.equal(r1.Messages[0].Attributes.MessageGroupId, "g1");
        assert.ok(r1.Messages[0].Attributes.SequenceNumber);
        // the same attempt id answers the same messages and receipt handles
        const retry = await sqs().send(S("ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 10, ReceiveRequestAttemptId: "attempt-1", AttributeNames: ["All"] }));
        assert.deepEqual(retry.Messages.map((m) => m.ReceiptHandle), r1.Messages.map((m) => m.ReceiptHandle));
        // groups are locked while in flight
        await sqs().send(S("SendMessage", { QueueUrl, MessageBody: "g1-3", MessageGroupId: "g1" }));
        assert.equal((await sqs().send(S("ReceiveMessage", { QueueUrl, ReceiveRequestAttemptId: "attempt-2" }))).Messages, undefined);
        const g1 = r1.Messages.filter((m) => m.Body.startsWith("g1"));
        await sqs().send(S("DeleteMessageBatch", { QueueUrl, Entries: g1.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
        const r2 = await sqs().send(S("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 2 }));
        assert.equal(r2.Messages[0].Body, "g1-3");
      });

      it("moves messages to a dead-letter queue and back with message move tasks", T, async () => {
        const dlq = (await sqs().send(S("CreateQueue", { QueueName: q("dlq") }))).QueueUrl;
        const dlqArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:${q("dlq")}`;
        const src = (await sqs().send(S("CreateQueue", {
          QueueName: q("src"),
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
        }))).QueueUrl;
        await sqs().send(S("SendMessage", { QueueUrl: src, MessageBody: "poison" }));
        const r1 = await sqs().send(S("ReceiveMessage", { QueueUrl: src }));
        await sqs().send(S("ChangeMessageVisibility", { QueueUrl: src, ReceiptHandle: r1.Messages[0].ReceiptHandle, VisibilityTimeout: 0 }));
        // the next receive finds it received maxReceiveCount times: it goes to the DLQ
        assert.equal((await sqs().send(S("ReceiveMessage", { QueueUrl: src }))).Messages, undefined);
        const d = await sqs().send(S("ReceiveMessage", { QueueUrl: dlq, AttributeNames: ["All"], VisibilityTimeout: 0 }));
        assert.equal(d.Messages[0].Body, "poison");
        assert.equal(d.Messages[0].Attributes.DeadLetterQueueSourceArn, `arn:aws:sqs:us-east-1:${ACCOUNT}:${q("src")}`);
        const sources = await sqs().send(S("ListDeadLetterSourceQueues", { QueueUrl: dlq }));
        assert.deepEqual(sources.queueUrls, [src]);
        // redrive back to the source
        const { TaskHandle } = await sqs().send(S("StartMessageMoveTask", { SourceArn: dlqArn }));
        assert.ok(TaskHandle);
        let tasks;
        for (let i = 0; i < 50; i++) {
          tasks = await sqs().send(S("ListMessageMoveTasks", { SourceArn: dlqArn, MaxResults: 10 }));
          if (tasks.Results[0].Status === "COMPLETED") break;
          await sleep(100);
        }
        assert.equal(tasks.Results[0].Status, "COMPLETED");
        assert.equal(tasks.Results[0].ApproximateNumberOfMessagesMoved, 1);
        const back = await sqs().send(S("ReceiveMessage", { QueueUrl: src, WaitTimeSeconds: 2 }));
        assert.equal(back.Messages[0].Body, "poison");
        const cancel = await rejects(sqs().send(S("CancelMessageMoveTask", { TaskHandle: "no-such-task" })));
        assert.equal(cancel.name, "ResourceNotFoundException");
        const notdlq = await rejects(sqs().send(S("StartMessageMoveTask", { SourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${q("nothere")}` })));
        assert.equal(notdlq.name, "ResourceNotFoundException");
      });
    });
  }

  describe("SNS over the Query protocol", () => {
    const topicArn = (name) => `arn:aws:sns:us-east-1:${ACCOUNT}:${name}`;
    const queueArn = (name) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
    const sqs = () => clients.json;

    it("creates, lists, describes, tags and deletes topics", T, async () => {
      const { TopicArn } = await sns.send(N("CreateTopic", { Name: "t-life", Attributes: { DisplayName: "Life" }, Tags: [{ Key: "team", Value: "a" }] }));
      assert.equal(TopicArn, topicArn("t-life"));
      assert.equal((await sns.send(N("CreateTopic", { Name: "t-life" }))).TopicArn, TopicArn);
      const fifo = await sns.send(N("CreateTopic", { Name: "t-life.fifo", Attributes: { FifoTopic: "true", ContentBasedDeduplication: "true" } }));
      assert.equal(fifo.TopicArn, topicArn("t-life.fifo"));
      const topics = (await sns.send(N("ListTopics", {}))).Topics.map((t) => t.TopicArn);
      assert.ok(topics.includes(TopicArn) && topics.includes(fifo.TopicArn));
      let { Attributes } = await sns.send(N("GetTopicAttributes", { TopicArn }));
      assert.equal(Attributes.DisplayName, "Life");
      assert.equal(Attributes.TopicArn, TopicArn);
      assert.equal(Attributes.Owner, ACCOUNT);
      await sns.send(N("SetTopicAttributes", { TopicArn, AttributeName: "DisplayName", AttributeValue: "Renamed" }));
      ({ Attributes } = await sns.send(N("GetTopicAttributes", { TopicArn })));
      assert.equal(Attributes.DisplayName, "Renamed");
      assert.equal((await sns.send(N("GetTopicAttributes", { TopicArn: fifo.TopicArn }))).Attributes.FifoTopic, "true");
      await sns.send(N("TagResource", { ResourceArn: TopicArn, Tags: [{ Key: "env", Value: "x" }] }));
      await sns.send(N("UntagResource", { ResourceArn: TopicArn, TagKeys: ["team"] }));
      assert.deepEqual((await sns.send(N("ListTagsForResource", { ResourceArn: TopicArn }))).Tags, [{ Key: "env", Value: "x" }]);
      const nores = await rejects(sns.send(N("ListTagsForResource", { ResourceArn: topicArn("t-none") })));
      assert.equal(nores.name, "ResourceNotFoundException");
      await sns.send(N("DeleteTopic", { TopicArn }));
      const gone = await rejects(sns.send(N("GetTopicAttributes", { TopicArn })));
      assert.equal(gone.name, "NotFoundException");
      assert.equal(gone.$metadata.httpStatusCode, 404);
      const badName = await rejects(sns.send(N("CreateTopic", { Name: "bad name" })));
      assert.equal(badName.name, "InvalidParameterException");
      const badFifo = await rejects(sns.send(N("CreateTopic", { Name: "x.fifo" })));
      assert.equal(badFifo.name, "InvalidParameterException");
    });

    it("fans out to SQS subscribers: envelope, raw delivery, filter policies, PublishBatch", T, async () => {
      const { TopicArn } = await sns.send(N("CreateTopic", { Name: "t-fan" }));
      const env = (await sqs().send(S("CreateQueue", { QueueName: "sns-env" }))).QueueUrl;
      const raw = (await sqs().send(S("CreateQueue", { QueueName: "sns-raw" }))).QueueUrl;
      const filt = (await sqs().send(S("CreateQueue", { QueueName: "sns-filter" }))).QueueUrl;
      const body = (await sqs().send(S("CreateQueue", { QueueName: "sns-body" }))).QueueUrl;
      const s1 = await sns.send(N("Subscribe", { TopicArn, Protocol: "sqs", Endpoint: queueArn("sns-env") }));
      assert.match(s1.SubscriptionArn, new RegExp(`^${topicArn("t-fan")}:[0-9a-f-]{36}$`));
      await sns.send(N("Subscribe", { TopicArn, Protocol: "sqs", Endpoint: queueArn("sns-raw"), Attributes: { RawMessageDelivery: "true" } }));
      const s3 = await sns.send(N("Subscribe", { TopicArn, Protocol: "sqs", Endpoint: queueArn("sns-filter"), Attributes: { RawMessageDelivery: "true", FilterPolicy: JSON.stringify({ kind: ["created"] }) } }));
      await sns.send(N("Subscribe", { TopicArn, Protocol: "sqs", Endpoint: queueArn("sns-body"), Attributes: { RawMessageDelivery: "true", FilterPolicyScope: "MessageBody", FilterPolicy: JSON.stringify({ order: { total: [{ numeric: [">", 100] }] } }) } }));

      const pub = await sns.send(N("Publish", { TopicArn, Message: JSON.stringify({ order: { total: 150 } }), Subject: "s", MessageAttributes: { kind: { DataType: "String", StringValue: "created" }, n: { DataType: "Number", StringValue: "7" } } }));
      assert.match(pub.MessageId, /^[0-9a-f-]{36}$/);
      await sns.send(N("Publish", { TopicArn, Message: JSON.stringify({ order: { total: 5 } }), MessageAttributes: { kind: { DataType: "String", StringValue: "deleted" } } }));

      const recv = async (QueueUrl, n) => {
        const out = [];
        for (let i = 0; i < 20 && out.length < n; i++) {
          const r = await sqs().send(S("ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }));
          out.push(...(r.Messages || []));
        }
        return out;
      };
      const e = await recv(env, 2);
      assert.equal(e.length, 2);
      const envelope = JSON.parse(e.find((m) => JSON.parse(m.Body).MessageId === pub.MessageId).Body);
      assert.equal(envelope.Type, "Notification");
      assert.equal(envelope.TopicArn, TopicArn);
      assert.equal(envelope.Subject, "s");
      assert.deepEqual(JSON.parse(envelope.Message), { order: { total: 150 } });
      assert.deepEqual(envelope.MessageAttributes.kind, { Type: "String", Value: "created" });
      assert.ok(envelope.Signature && envelope.UnsubscribeURL);
      const r = await recv(raw, 2);
      assert.equal(r.length, 2);
      const rawFirst = r.find((m) => m.MessageAttributes && m.MessageAttributes.kind.StringValue === "created");
      assert.deepEqual(JSON.parse(rawFirst.Body), { order: { total: 150 } });
      assert.equal(rawFirst.MessageAttributes.n.StringValue, "7");
      const f = await recv(filt, 1);
      assert.deepEqual(f.map((m) => m.MessageAttributes.kind.StringValue), ["created"]);
      const b = await recv(body, 1);
      assert.equal(b.length, 1);
      assert.deepEqual(JSON.parse(b[0].Body), { order: { total: 150 } });

      // subscription attributes and lists
      let { Attributes } = await sns.send(N("GetSubscriptionAttributes", { SubscriptionArn: s3.SubscriptionArn }));
      assert.equal(Attributes.RawMessageDelivery, "true");
      assert.equal(Attributes.FilterPolicyScope, "MessageAttributes");
      assert.deepEqual(JSON.parse(Attributes.FilterPolicy), { kind: ["created"] });
      await sns.send(N("SetSubscriptionAttributes", { SubscriptionArn: s3.SubscriptionArn, AttributeName: "FilterPolicy", AttributeValue: JSON.stringify({ kind: ["deleted"] }) }));
      await sns.send(N("SetSubscriptionAttributes", { SubscriptionArn: s3.SubscriptionArn, AttributeName: "RedrivePolicy", AttributeValue: JSON.stringify({ deadLetterTargetArn: queueArn("sns-env") }) }));
      ({ Attributes } = await sns.send(N("GetSubscriptionAttributes", { SubscriptionArn: s3.SubscriptionArn })));
      assert.deepEqual(JSON.parse(Attributes.FilterPolicy), { kind: ["deleted"] });
      assert.equal(JSON.parse(Attributes.RedrivePolicy).deadLetterTargetArn, queueArn("sns-env"));
      const badPolicy = await rejects(sns.send(N("SetSubscriptionAttributes", { SubscriptionArn: s3.SubscriptionArn, AttributeName: "FilterPolicy", AttributeValue: "{\"kind\": []}" })));
      assert.equal(badPolicy.name, "InvalidParameterException");
      const byTopic = await sns.send(N("ListSubscriptionsByTopic", { TopicArn }));
      assert.equal(byTopic.Subscriptions.length, 4);
      assert.ok(byTopic.Subscriptions.every((s) => s.Protocol === "sqs" && s.TopicArn === TopicArn && s.Owner === ACCOUNT));
      const allSubs = await sns.send(N("ListSubscriptions", {}));
      assert.ok(allSubs.Subscriptions.length >= 4);
      await sns.send(N("Unsubscribe", { SubscriptionArn: s1.SubscriptionArn }));
      assert.equal((await sns.send(N("ListSubscriptionsByTopic", { TopicArn }))).Subscriptions.length, 3);
      const gone = await rejects(sns.send(N("GetSubscriptionAttributes", { SubscriptionArn: s1.SubscriptionArn })));
      assert.equal(gone.name, "NotFoundException");

      // PublishBatch with a partial failure (an attribute type SNS does not know)
      const batch = await sns.send(N("PublishBatch", {
        TopicArn, PublishBatchRequestEntries: [
          { Id: "one", Message: "b1", MessageAttributes: { kind: { DataType: "String", StringValue: "deleted" } } },
          { Id: "bad", Message: "b2", MessageAttributes: { kind: { DataType: "Weird", StringValue: "x" } } },
          { Id: "two", Message: "b3" },
        ],
      }));
      assert.deepEqual(batch.Successful.map((s) => s.Id), ["one", "two"]);
      assert.deepEqual(batch.Failed.map((s) => [s.Id, s.SenderFault]), [["bad", true]]);
      const f2 = await recv(filt, 1);
      assert.deepEqual(f2.map((m) => m.Body), ["b1"]);
      const empty = await rejects(sns.send(N("PublishBatch", { TopicArn, PublishBatchRequestEntries: [] })));
      assert.equal(empty.name, "EmptyBatchRequestException");
      const dups = await rejects(sns.send(N("PublishBatch", { TopicArn, PublishBatchRequestEntries: [{ Id: "x", Message: "1" }, { Id: "x", Message: "2" }] })));
      assert.equal(dups.name, "BatchEntryIdsNotDistinctException");
      const nf = await rejects(sns.send(N("Publish", { TopicArn: topicArn("t-missing"), Message: "x" })));
      assert.equal(nf.name, "NotFoundException");
      const proto = await rejects(sns.send(N("Subscribe", { TopicArn, Protocol: "email", Endpoint: "a@b.c" })));
      assert.equal(proto.name, "InvalidParameterException");
    });

    it("FIFO topics feed FIFO queues in order, de-duplicated", T, async () => {
      const { TopicArn } = await sns.send(N("CreateTopic", { Name: "t-orders.fifo", Attributes: { FifoTopic: "true", ContentBasedDeduplication: "true" } }));
      const QueueUrl = (await sqs().send(S("CreateQueue", { QueueName: "sns-orders.fifo", Attributes: { FifoQueue: "true" } }))).QueueUrl;
      const mixed = await rejects(sns.send(N("Subscribe", { TopicArn, Protocol: "sqs", Endpoint: queueArn("sns-env") })));
      assert.equal(mixed.name, "InvalidParameterException");
      await sns.send(N("Subscribe", { TopicArn, Protocol: "sqs", Endpoint: queueArn("sns-orders.fifo"), Attributes: { RawMessageDelivery: "true" } }));
      const p1 = await sns.send(N("Publish", { TopicArn, Message: "first", MessageGroupId: "g" }));
      assert.match(p1.SequenceNumber, /^\d+$/);
      await sns.send(N("PublishBatch", { TopicArn, PublishBatchRequestEntries: [{ Id: "a", Message: "second", MessageGroupId: "g" }, { Id: "b", Message: "third", MessageGroupId: "g" }] }));
      const dup = await sns.send(N("Publish", { TopicArn, Message: "first", MessageGroupId: "g" }));
      assert.equal(dup.MessageId, p1.MessageId);
      const nogroup = await rejects(sns.send(N("Publish", { TopicArn, Message: "x" })));
      assert.equal(nogroup.name, "InvalidParameterException");
      const bodies = [];
      for (let i = 0; i < 20 && bodies.length < 3; i++) {
        const r = await sqs().send(S("ReceiveMessage", { QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const m of r.Messages || []) {
          bodies.push(m.Body);
          await sqs().send(S("DeleteMessage", { QueueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
      }
      assert.deepEqual(bodies, ["first", "second", "third"]);
    });

    it("delivers to HTTP endpoints after ConfirmSubscription, signed envelopes", T, async () => {
      const got = [];
      const waiters = [];
      const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
          got.push({ headers: req.headers, body });
          res.end("ok");
          waiters.splice(0).forEach((w) => w());
        });
      });
      await new Promise((r) => server.listen(0, "127.0.0.1", r));
      const wait = async (n) => {
        const deadline = Date.now() + 10000;
        while (got.length < n && Date.now() < deadline) await new Promise((r) => { waiters.push(r); setTimeout(r, 200); });
        assert.ok(got.length >= n, `${got.length} deliveries, expected ${n}`);
      };
      try {
        const { TopicArn } = await sns.send(N("CreateTopic", { Name: "t-http" }));
        const endpoint = `http://127.0.0.1:${server.address().port}/hook`;
        const sub = await sns.send(N("Subscribe", { TopicArn, Protocol: "http", Endpoint: endpoint }));
        assert.equal(sub.SubscriptionArn, "pending confirmation");
        const withArn = await sns.send(N("Subscribe", { TopicArn, Protocol: "http", Endpoint: endpoint, ReturnSubscriptionArn: true }));
        assert.match(withArn.SubscriptionArn, /^arn:aws:sns:/);
        await wait(1);
        const confirmation = JSON.parse(got[0].body);
        assert.equal(confirmation.Type, "SubscriptionConfirmation");
        assert.equal(got[0].headers["x-amz-sns-message-type"], "SubscriptionConfirmation");
        // Signed as SNS signs: RSA over the canonical string, the certificate at SigningCertURL
        // (served by the hub), SignatureVersion 1 (SHA1withRSA) unless the topic says 2.
        const cert = await snsSig.fetchCert(confirmation, url);
        snsSig.assertSigned(confirmation, cert, 1);
        const pending = await sns.send(N("ListSubscriptionsByTopic", { TopicArn }));
        assert.equal(pending.Subscriptions[0].SubscriptionArn, "PendingConfirmation");
        const badToken = await rejects(sns.send(N("ConfirmSubscription", { TopicArn, Token: "0".repeat(64) })));
        assert.ok(["InvalidParameterException", "NotFoundException"].includes(badToken.name), badToken.name);
        const confirmed = await sns.send(N("ConfirmSubscription", { TopicArn, Token: confirmation.Token }));
        assert.equal(confirmed.SubscriptionArn, withArn.SubscriptionArn);
        const pub = await sns.send(N("Publish", { TopicArn, Message: "to http", Subject: "hi" }));
        await wait(got.length + 1);
        const last = got[got.length - 1];
        const n = JSON.parse(last.body);
        assert.equal(n.Type, "Notification");
        assert.equal(n.MessageId, pub.MessageId);
        assert.equal(n.Message, "to http");
        assert.equal(last.headers["x-amz-sns-topic-arn"], TopicArn);
        const want = "sha256=" + crypto.createHmac("sha256", SECRET).update(last.body).digest("hex");
        assert.equal(last.headers["x-hubbub-signature"], want);
        assert.equal(n.SigningCertURL, confirmation.SigningCertURL);
        snsSig.assertSigned(n, cert, 1);

        // SetTopicAttributes SignatureVersion 2: SHA256withRSA from the next message on.
        await sns.send(N("SetTopicAttributes", { TopicArn, AttributeName: "SignatureVersion", AttributeValue: "2" }));
        const attrs = await sns.send(N("GetTopicAttributes", { TopicArn }));
        assert.equal(attrs.Attributes.SignatureVersion, "2");
        const bad = await rejects(sns.send(N("SetTopicAttributes", { TopicArn, AttributeName: "SignatureVersion", AttributeValue: "3" })));
        assert.equal(bad.name, "InvalidParameterException");
        await sns.send(N("Publish", { TopicArn, Message: "to http, v2" }));
        await wait(got.length + 1);
        const n2 = JSON.parse(got[got.length - 1].body);
        assert.equal(n2.Message, "to http, v2");
        snsSig.assertSigned(n2, cert, 2);

        // A topic created with SignatureVersion 2 signs its confirmations so too.
        const v2 = await sns.send(N("CreateTopic", { Name: "t-http-v2", Attributes: { SignatureVersion: "2" } }));
        const before = got.length;
        await sns.send(N("Subscribe", { TopicArn: v2.TopicArn, Protocol: "http", Endpoint: `${endpoint}/v2` }));
        await wait(before + 1);
        const c2 = JSON.parse(got[before].body);
        assert.equal(c2.Type, "SubscriptionConfirmation");
        assert.equal(c2.TopicArn, v2.TopicArn);
        snsSig.assertSigned(c2, cert, 2);
      } finally {
        server.close();
      }
    });
  });

  describe("SNS mobile push, SMS and data protection (recorded, LocalStack's retrospection)", () => {
    const topicArn = (name) => `arn:aws:sns:us-east-1:${ACCOUNT}:${name}`;
    const retro = async (path, query = "", method = "GET") => {
      const res = await fetch(`${url}/_aws/sns/${path}${query}`, { method });
      if (method === "DELETE") {
        assert.equal(res.status, 204);
        return null;
      }
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type"), /^application\/json/);
      return res.json();
    };
    const pushes = async (arn) => (await retro("platform-endpoint-messages", `?endpointArn=${encodeURIComponent(arn)}`)).platform_endpoint_messages[arn];
    const texts = async (phone) => (await retro("sms-messages", `?phoneNumber=${encodeURIComponent(phone)}`)).sms_messages[phone];

    it("platform applications and endpoints: create, list, attributes, idempotency, deletes, typed errors", T, async () => {
      const { PlatformApplicationArn: app } = await sns.send(N("CreatePlatformApplication", { Name: "js-app", Platform: "GCM", Attributes: { PlatformCredential: "api-key", EventEndpointCreated: topicArn("x") } }));
      assert.equal(app, `arn:aws:sns:us-east-1:${ACCOUNT}:app/GCM/js-app`);
      const apns = (await sns.send(N("CreatePlatformApplication", { Name: "js-ios", Platform: "APNS_SANDBOX", Attributes: { PlatformCredential: "key", PlatformPrincipal: "cert" } }))).PlatformApplicationArn;
      const listed = (await sns.send(N("ListPlatformApplications", {}))).PlatformApplications;
      const mine = listed.find((a) => a.PlatformApplicationArn === app);
      assert.deepEqual(mine.Attributes, { Enabled: "true", EventEndpointCreated: topicArn("x") });
      assert.ok(listed.some((a) => a.PlatformApplicationArn === apns));
      // credentials are taken, never returned
      let { Attributes } = await sns.send(N("GetPlatformApplicationAttributes", { PlatformApplicationArn: app }));
      assert.equal(Attributes.PlatformCredential, undefined);
      await sns.send(N("SetPlatformApplicationAttributes", { PlatformApplicationArn: app, Attributes: { SuccessFeedbackSampleRate: "50" } }));
      ({ Attributes } = await sns.send(N("GetPlatformApplicationAttributes", { PlatformApplicationArn: app })));
      assert.equal(Attributes.SuccessFeedbackSampleRate, "50");

      const badPlatform = await rejects(sns.send(N("CreatePlatformApplication", { Name: "x", Platform: "NOKIA", Attributes: { PlatformCredential: "k" } })));
      assert.equal(badPlatform.name, "InvalidParameterException");
      const noPrincipal = await rejects(sns.send(N("CreatePlatformApplication", { Name: "x", Platform: "APNS", Attributes: { PlatformCredential: "k" } })));
      assert.equal(noPrincipal.name, "InvalidParameterException");
      const badName = await rejects(sns.send(N("CreatePlatformApplication", { Name: "no spaces", Platform: "GCM", Attributes: { PlatformCredential: "k" } })));
      assert.equal(badName.name, "InvalidParameterException");
      const missingApp = `arn:aws:sns:us-east-1:${ACCOUNT}:app/GCM/nope`;
      const noApp = await rejects(sns.send(N("GetPlatformApplicationAttributes", { PlatformApplicationArn: missingApp })));
      assert.equal(noApp.name, "NotFoundException");
      assert.equal(noApp.$metadata.httpStatusCode, 404);
      assert.equal((await rejects(sns.send(N("CreatePlatformEndpoint", { PlatformApplicationArn: missingApp, Token: "t" })))).name, "NotFoundException");
      assert.equal((await rejects(sns.send(N("ListEndpointsByPlatformApplication", { PlatformApplicationArn: missingApp })))).name, "NotFoundException");
      assert.equal((await rejects(sns.send(N("GetPlatformApplicationAttributes", { PlatformApplicationArn: "not-an-arn" })))).name, "InvalidParameterException");

      // endpoints: idempotent for the same token and attributes, InvalidParameter for others
      const { EndpointArn: ep } = await sns.send(N("CreatePlatformEndpoint", { PlatformApplicationArn: app, Token: "device-1", CustomUserData: "user 1" }));
      assert.match(ep, new RegExp(`^arn:aws:sns:us-east-1:${ACCOUNT}:endpoint/GCM/js-app/[0-9a-f-]{36}$`));
      assert.equal((await sns.send(N("CreatePlatformEndpoint", { PlatformApplicationArn: app, Token: "device-1", CustomUserData: "user 1" }))).EndpointArn, ep);
      const clash = await rejects(sns.send(N("CreatePlatformEndpoint", { PlatformApplicationArn: app, Token: "device-1", CustomUserData: "someone else" })));
      assert.equal(clash.name, "InvalidParameterException");
      assert.match(clash.message, /already exists with the same Token, but different attributes/);
      const ep2 = (await sns.send(N("CreatePlatformEndpoint", { PlatformApplicationArn: app, Token: "device-2", Attributes: { Enabled: "false" } }))).EndpointArn;
      assert.notEqual(ep2, ep);
      ({ Attributes } = await sns.send(N("GetEndpointAttributes", { EndpointArn: ep })));
      assert.deepEqual(Attributes, { Enabled: "true", Token: "device-1", CustomUserData: "user 1" });
      await sns.send(N("SetEndpointAttributes", { EndpointArn: ep, Attributes: { CustomUserData: "renamed", Token: "device-1b" } }));
      ({ Attributes } = await sns.send(N("GetEndpointAttributes", { EndpointArn: ep })));
      assert.deepEqual(Attributes, { Enabled: "true", Token: "device-1b", CustomUserData: "renamed" });
      // the old token is free again, the new one taken
      const ep3 = (await sns.send(N("CreatePlatformEndpoint", { PlatformApplicationArn: app, Token: "device-1" }))).EndpointArn;
      assert.notEqual(ep3, ep);
      const badAttr = await rejects(sns.send(N("SetEndpointAttributes", { EndpointArn: ep, Attributes: { Colour: "red" } })));
      assert.equal(badAttr.name, "InvalidParameterException");
      const eps = (await sns.send(N("ListEndpointsByPlatformApplication", { PlatformApplicationArn: app }))).Endpoints;
      assert.deepEqual(eps.map((e) => e.EndpointArn), [ep, ep2, ep3]);
      assert.equal(eps[1].Attributes.Enabled, "false");
      assert.deepEqual((await sns.send(N("ListEndpointsByPlatformApplication", { PlatformApplicationArn: apns }))).Endpoints, []);

      await sns.send(N("DeleteEndpoint", { EndpointArn: ep3 }));
      await sns.send(N("DeleteEndpoint", { EndpointArn: ep3 })); // idempotent
      const noEp = await rejects(sns.send(N("GetEndpointAttributes", { EndpointArn: ep3 })));
      assert.equal(noEp.name, "NotFoundException");
      assert.equal((await rejects(sns.send(N("SetEndpointAttributes", { EndpointArn: ep3, Attributes: { Enabled: "true" } })))).name, "NotFoundException");

      // deleting the application deletes its endpoints
      await sns.send(N("DeletePlatformApplication", { PlatformApplicationArn: app }));
      await sns.send(N("DeletePlatformApplication", { PlatformApplicationArn: app }));
      assert.equal((await rejects(sns.send(N("GetEndpointAttributes", { EndpointArn: ep })))).name, "NotFoundException");
      assert.equal((await rejects(sns.send(N("GetEndpointAttributes", { EndpointArn: ep2 })))).name, "NotFoundException");
      assert.ok(!(await sns.send(N("ListPlatformApplications", {}))).PlatformApplications.some((a) => a.PlatformApplicationArn === app));
      await sns.send(N("DeletePlatformApplication", { PlatformApplicationArn: apns }));
    });

    it("publishes to endpoints, directly and through topics; records them at /_aws/sns/platform-endpoint-messages", T, async () => {
      const app = (await sns.send(N("CreatePlatformApplication", { Name: "js-push", Platform: "GCM", Attributes: { PlatformCredential: "k" } }))).PlatformApplicationArn;
      const ep = (await sns.send(N("CreatePlatformEndpoint", { PlatformApplicationArn: app, Token: "push-1" }))).EndpointArn;
      const off = (await sns.send(N("CreatePlatformEndpoint", { PlatformApplicationArn: app, Token: "push-2", Attributes: { Enabled: "false" } }))).EndpointArn;
      await retro("platform-endpoint-messages", "", "DELETE");

      const p1 = await sns.send(N("Publish", { TargetArn: ep, Message: "hello device", Subject: "hi", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } }));
      assert.match(p1.MessageId, /^[0-9a-f-]{36}$/);
      const p2 = await sns.send(N("Publish", { TargetArn: ep, MessageStructure: "json", Message: JSON.stringify({ default: "plain", GCM: JSON.stringify({ notification: { title: "t" } }) }) }));
      const disabled = await rejects(sns.send(N("Publish", { TargetArn: off, Message: "x" })));
      assert.equal(disabled.name, "EndpointDisabledException");
      assert.equal(disabled.$metadata.httpStatusCode, 400);
      const missing = await rejects(sns.send(N("Publish", { TargetArn: `arn:aws:sns:us-east-1:${ACCOUNT}:endpoint/GCM/js-push/00000000-0000-4000-8000-000000000000`, Message: "x" })));
      assert.equal(missing.name, "InvalidParameterException");
      const noDefault = await rejects(sns.send(N("Publish", { TargetArn: ep, MessageStructure: "json", Message: JSON.stringify({ GCM: "g" }) })));
      assert.equal(noDefault.name, "InvalidParameterException");

      // through a topic: the endpoint's subscription (filter policies apply)
      const { TopicArn } = await sns.send(N("CreateTopic", { Name: "t-push" }));
      const sub = await sns.send(N("Subscribe", { TopicArn, Protocol: "application", Endpoint: ep, Attributes: { FilterPolicy: JSON.stringify({ kind: ["alert"] }) } }));
      assert.match(sub.SubscriptionArn, new RegExp(`^${topicArn("t-push")}:`));
      await sns.send(N("Subscribe", { TopicArn, Protocol: "application", Endpoint: off }));
      const subs = (await sns.send(N("ListSubscriptionsByTopic", { TopicArn }))).Subscriptions;
      assert.deepEqual(subs.map((s) => [s.Protocol, s.Endpoint]), [["application", ep], ["application", off]]);
      const badSub = await rejects(sns.send(N("Subscribe", { TopicArn, Protocol: "application", Endpoint: "not-an-arn" })));
      assert.equal(badSub.name, "InvalidParameterException");
      const p3 = await sns.send(N("Publish", { TopicArn, Message: "to subscribers", MessageAttributes: { kind: { DataType: "String", StringValue: "alert" } } }));
      await sns.send(N("Publish", { TopicArn, Message: "filtered out", MessageAttributes: { kind: { DataType: "String", StringValue: "other" } } }));

      const got = await pushes(ep);
      assert.deepEqual(got.map((m) => m.MessageId), [p1.MessageId, p2.MessageId, p3.MessageId]);
      assert.deepEqual(got[0], { TargetArn: ep, TopicArn: "", Message: "hello device", MessageAttributes: { k: { DataType: "String", StringValue: "v" } }, MessageStructure: null, Subject: "hi", MessageId: p1.MessageId });
      assert.deepEqual(JSON.parse(got[1].Message), { notification: { title: "t" } }); // the GCM payload
      assert.equal(got[1].MessageStructure, "json");
      assert.equal(got[2].TopicArn, TopicArn);
      assert.equal(got[2].Message, "to subscribers");
      assert.deepEqual(await pushes(off), []); // disabled: nothing delivered
      const all = await retro("platform-endpoint-messages");
      assert.equal(all.region, "us-east-1");
      assert.deepEqual(Object.keys(all.platform_endpoint_messages), [ep]);
      const other = await retro("platform-endpoint-messages", "?region=eu-west-1");
      assert.deepEqual(other, { platform_endpoint_messages: {}, region: "eu-west-1" });

      // a disabled application refuses too; DELETE clears one endpoint's records, then all
      await sns.send(N("SetPlatformApplicationAttributes", { PlatformApplicationArn: app, Attributes: { Enabled: "false" } }));
      const appOff = await rejects(sns.send(N("Publish", { TargetArn: ep, Message: "x" })));
      assert.equal(appOff.name, "PlatformApplicationDisabledException");
      await retro("platform-endpoint-messages", `?endpointArn=${encodeURIComponent(ep)}`, "DELETE");
      assert.deepEqual(await pushes(ep), []);
      await sns.send(N("DeletePlatformApplication", { PlatformApplicationArn: app }));
    });

    it("keeps the newest 1000 endpoint messages", T, async () => {
      const app = (await sns.send(N("CreatePlatformApplication", { Name: "js-ring", Platform: "FCM", Attributes: { PlatformCredential: "k" } }))).PlatformApplicationArn;
      const ep = (await sns.send(N("CreatePlatformEndpoint", { PlatformApplicationArn: app, Token: "ring" }))).EndpointArn;
      await retro("platform-endpoint-messages", "", "DELETE");
      for (let i = 0; i < 1010; i += 50)
        await Promise.all(Array.from({ length: Math.min(50, 1010 - i) }, (_, j) => sns.send(N("Publish", { TargetArn: ep, Message: `m${i + j}` }))));
      const got = await pushes(ep);
      assert.equal(got.length, 1000);
      assert.ok(!got.some((m) => m.Message === "m0"));
      assert.ok(got.some((m) => m.Message === "m1009"));
      await retro("platform-endpoint-messages", "", "DELETE");
      await sns.send(N("DeletePlatformApplication", { PlatformApplicationArn: app }));
    });

    it("SMS: publishes to phone numbers and sms subscriptions, opt-outs, attributes; /_aws/sns/sms-messages", T, async () => {
      await retro("sms-messages", "", "DELETE");
      const phone = "+15550101001", fan = "+15550101002", out = "+15550101003";
      const p1 = await sns.send(N("Publish", { PhoneNumber: phone, Message: "your code is 42", MessageAttributes: { "AWS.SNS.SMS.SMSType": { DataType: "String", StringValue: "Transactional" } } }));
      const bad = await rejects(sns.send(N("Publish", { PhoneNumber: "call me", Message: "x" })));
      assert.equal(bad.name, "InvalidParameterException");
      const both = await rejects(sns.send(N("Publish", { PhoneNumber: phone, TopicArn: topicArn("t-sms"), Message: "x" })));
      assert.equal(both.name, "InvalidParameterException");
      const { TopicArn } = await sns.send(N("CreateTopic", { Name: "t-sms" }));
      await sns.send(N("Subscribe", { TopicArn, Protocol: "sms", Endpoint: fan }));
      await sns.send(N("Subscribe", { TopicArn, Protocol: "sms", Endpoint: out }));
      const badSub = await rejects(sns.send(N("Subscribe", { TopicArn, Protocol: "sms", Endpoint: "12ab" })));
      assert.equal(badSub.name, "InvalidParameterException");

      // opt-outs: LocalStack's endpoint opts a number out; nothing reaches it until it opts in
      let res = await fetch(`${url}/_aws/sns/phone-opt-outs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ phoneNumber: out }) });
      assert.equal(res.status, 200);
      res = await fetch(`${url}/_aws/sns/phone-opt-outs`, { method: "POST", body: JSON.stringify({ phoneNumber: "nope" }) });
      assert.equal(res.status, 400);
      assert.equal((await sns.send(N("CheckIfPhoneNumberIsOptedOut", { phoneNumber: out }))).isOptedOut, true);
      assert.equal((await sns.send(N("CheckIfPhoneNumberIsOptedOut", { phoneNumber: phone }))).isOptedOut, false);
      assert.ok((await sns.send(N("ListPhoneNumbersOptedOut", {}))).phoneNumbers.includes(out));
      assert.equal((await rejects(sns.send(N("CheckIfPhoneNumberIsOptedOut", { phoneNumber: "x1" })))).name, "InvalidParameterException");
      const p2 = await sns.send(N("Publish", { TopicArn, Message: JSON.stringify({ default: "long text", sms: "short" }), MessageStructure: "json", Subject: "s" }));
      const p3 = await sns.send(N("Publish", { PhoneNumber: out, Message: "dropped" })); // accepted, not sent
      assert.match(p3.MessageId, /^[0-9a-f-]{36}$/);
      await sns.send(N("OptInPhoneNumber", { phoneNumber: out }));
      assert.equal((await sns.send(N("CheckIfPhoneNumberIsOptedOut", { phoneNumber: out }))).isOptedOut, false);
      assert.ok(!(await sns.send(N("ListPhoneNumbersOptedOut", {}))).phoneNumbers.includes(out));
      const p4 = await sns.send(N("Publish", { PhoneNumber: out, Message: "after opting in" }));

      const direct = await texts(phone);
      assert.deepEqual(direct, [{ PhoneNumber: phone, TopicArn: null, SubscriptionArn: null, MessageId: p1.MessageId, Message: "your code is 42", MessageAttributes: { "AWS.SNS.SMS.SMSType": { DataType: "String", StringValue: "Transactional" } }, MessageStructure: null, Subject: null }]);
      const viaTopic = await texts(fan);
      assert.equal(viaTopic.length, 1);
      assert.equal(viaTopic[0].Message, "short");
      assert.equal(viaTopic[0].MessageId, p2.MessageId);
      assert.equal(viaTopic[0].TopicArn, TopicArn);
      assert.match(viaTopic[0].SubscriptionArn, new RegExp(`^${TopicArn}:`));
      assert.deepEqual((await texts(out)).map((m) => m.MessageId), [p4.MessageId]);
      const all = await retro("sms-messages");
      assert.deepEqual(Object.keys(all.sms_messages).sort(), [phone, fan, out].sort());
      // an unencoded '+' in the query is a space: taken back
      assert.equal((await retro("sms-messages", `?phoneNumber=${phone}`)).sms_messages[phone].length, 1);
      await retro("sms-messages", `?phoneNumber=${encodeURIComponent(phone)}`, "DELETE");
      assert.deepEqual(await texts(phone), []);
      assert.equal((await texts(fan)).length, 1);

      // account SMS attributes
      assert.deepEqual((await sns.send(N("GetSMSAttributes", {}))).attributes, { MonthlySpendLimit: "1" });
      await sns.send(N("SetSMSAttributes", { attributes: { DefaultSMSType: "Transactional", DefaultSenderID: "Hubbub" } }));
      assert.deepEqual((await sns.send(N("GetSMSAttributes", { attributes: ["DefaultSMSType"] }))).attributes, { DefaultSMSType: "Transactional" });
      assert.equal((await sns.send(N("GetSMSAttributes", {}))).attributes.DefaultSenderID, "Hubbub");
      assert.equal((await rejects(sns.send(N("SetSMSAttributes", { attributes: { Colour: "red" } })))).name, "InvalidParameterException");
      assert.equal((await rejects(sns.send(N("SetSMSAttributes", { attributes: { DefaultSMSType: "Loud" } })))).name, "InvalidParameterException");
      await retro("sms-messages", "", "DELETE");
      assert.deepEqual((await retro("sms-messages")).sms_messages, {});
    });

    it("the SMS sandbox: a recorded one-time password verifies a number; origination numbers", T, async () => {
      const phone = "+15550102001";
      assert.equal((await sns.send(N("GetSMSSandboxAccountStatus", {}))).IsInSandbox, false);
      await sns.send(N("CreateSMSSandboxPhoneNumber", { PhoneNumber: phone, LanguageCode: "en-US" }));
      let list = (await sns.send(N("ListSMSSandboxPhoneNumbers", {}))).PhoneNumbers;
      assert.deepEqual(list.find((p) => p.PhoneNumber === phone), { PhoneNumber: phone, Status: "Pending" });
      const otp = (await texts(phone)).at(-1).Message.match(/(\d{6})/)[1];
      const wrong = await rejects(sns.send(N("VerifySMSSandboxPhoneNumber", { PhoneNumber: phone, OneTimePassword: otp === "000000" ? "111111" : "000000" })));
      assert.equal(wrong.name, "VerificationException");
      await sns.send(N("VerifySMSSandboxPhoneNumber", { PhoneNumber: phone, OneTimePassword: otp }));
      list = (await sns.send(N("ListSMSSandboxPhoneNumbers", { MaxResults: 10 }))).PhoneNumbers;
      assert.equal(list.find((p) => p.PhoneNumber === phone).Status, "Verified");
      const unknown = await rejects(sns.send(N("VerifySMSSandboxPhoneNumber", { PhoneNumber: "+15550102999", OneTimePassword: "123456" })));
      assert.equal(unknown.name, "ResourceNotFoundException");
      assert.equal((await rejects(sns.send(N("CreateSMSSandboxPhoneNumber", { PhoneNumber: "nope" })))).name, "InvalidParameterException");
      // paging
      for (const n of ["+15550102002", "+15550102003"]) await sns.send(N("CreateSMSSandboxPhoneNumber", { PhoneNumber: n }));
      const page1 = await sns.send(N("ListSMSSandboxPhoneNumbers", { MaxResults: 2 }));
      assert.equal(page1.PhoneNumbers.length, 2);
      assert.ok(page1.NextToken);
      const page2 = await sns.send(N("ListSMSSandboxPhoneNumbers", { MaxResults: 2, NextToken: page1.NextToken }));
      assert.deepEqual(page2.PhoneNumbers.map((p) => p.PhoneNumber), ["+15550102003"]);
      for (const n of [phone, "+15550102002", "+15550102003"]) await sns.send(N("DeleteSMSSandboxPhoneNumber", { PhoneNumber: n }));
      assert.equal((await rejects(sns.send(N("DeleteSMSSandboxPhoneNumber", { PhoneNumber: phone })))).name, "ResourceNotFoundException");
      assert.deepEqual((await sns.send(N("ListSMSSandboxPhoneNumbers", {}))).PhoneNumbers, []);
      assert.deepEqual((await sns.send(N("ListOriginationNumbers", {}))).PhoneNumbers, []);
      assert.equal((await rejects(sns.send(N("ListOriginationNumbers", { MaxResults: 31 })))).name, "InvalidParameterException");
    });

    it("data protection policies are kept on topics and checked as JSON", T, async () => {
      const policy = JSON.stringify({ Name: "p", Description: "", Version: "2021-06-01", Statement: [] });
      const { TopicArn } = await sns.send(N("CreateTopic", { Name: "t-dpp", DataProtectionPolicy: policy }));
      assert.equal((await sns.send(N("GetDataProtectionPolicy", { ResourceArn: TopicArn }))).DataProtectionPolicy, policy);
      const other = JSON.stringify({ Name: "q", Version: "2021-06-01", Statement: [{ Sid: "s" }] });
      await sns.send(N("PutDataProtectionPolicy", { ResourceArn: TopicArn, DataProtectionPolicy: other }));
      assert.equal((await sns.send(N("GetDataProtectionPolicy", { ResourceArn: TopicArn }))).DataProtectionPolicy, other);
      const notJson = await rejects(sns.send(N("PutDataProtectionPolicy", { ResourceArn: TopicArn, DataProtectionPolicy: "{nope" })));
      assert.equal(notJson.name, "InvalidParameterException");
      assert.equal((await rejects(sns.send(N("CreateTopic", { Name: "t-dpp2", DataProtectionPolicy: "[1]" })))).name, "InvalidParameterException");
      const missing = await rejects(sns.send(N("GetDataProtectionPolicy", { ResourceArn: topicArn("t-no-such") })));
      assert.equal(missing.name, "NotFoundException");
      assert.equal((await rejects(sns.send(N("PutDataProtectionPolicy", { ResourceArn: topicArn("t-no-such"), DataProtectionPolicy: policy })))).name, "NotFoundException");
      // a topic made again under the same name starts without one
      await sns.send(N("DeleteTopic", { TopicArn }));
      await sns.send(N("CreateTopic", { Name: "t-dpp" }));
      assert.equal((await sns.send(N("GetDataProtectionPolicy", { ResourceArn: TopicArn }))).DataProtectionPolicy || "", "");
    });
  });

  describe("one store, every door", () => {
    const sqs = () => clients.json;

    it("an SDK message reaches a socket subscriber, and a socket message the SDK", T, async () => {
      const { QueueUrl } = await sqs().send(S("CreateQueue", { QueueName: "doors" }));
      const sock = await pool.connect(url, "/bus", { transports: ["websocket"] });
      const pushed = [];
      sock.on("bus:message", (queue, msg, ack) => {
        pushed.push([queue, msg]);
        if (ack) ack(true);
      });
      const sub = await sock.timeout(5000).emitWithAck("bus:subscribe", "doors", {});
      assert.equal(sub.ok, true, JSON.stringify(sub));
      await sqs().send(S("SendMessage", { QueueUrl, MessageBody: "from the sdk", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } }));
      for (let i = 0; i < 50 && !pushed.length; i++) await sleep(100);
      assert.equal(pushed.length, 1);
      assert.equal(pushed[0][0], "doors");
      assert.equal(pushed[0][1].body, "from the sdk");
      await sock.timeout(5000).emitWithAck("bus:unsubscribe", "doors");
      const sent = await sock.timeout(5000).emitWithAck("bus:send", "doors", "from a socket", { attributes: { kind: "socket" } });
      assert.equal(sent.ok, true, JSON.stringify(sent));
      const r = await sqs().send(S("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 5, MessageAttributeNames: ["All"], AttributeNames: ["All"] }));
      assert.equal(r.Messages[0].Body, "from a socket");
      assert.equal(r.Messages[0].MessageId, sent.messageId);
      assert.equal(r.Messages[0].MessageAttributes.kind.StringValue, "socket");
    });

    it("a bridged socket event reaches the topic's SQS subscriber; topics reach rooms", T, async () => {
      const sock = await pool.connect(url, "/", { transports: ["websocket"] });
      sock.emit("order", { kind: "created", id: 7 });
      const QueueUrl = (await sqs().send(S("GetQueueUrl", { QueueName: "bridged-q" }))).QueueUrl;
      const r = await sqs().send(S("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 5, MessageAttributeNames: ["All"] }));
      assert.deepEqual(JSON.parse(r.Messages[0].Body), { kind: "created", id: 7 });
      assert.equal(r.Messages[0].MessageAttributes.kind.StringValue, "created");

      // Hubbub's own "room" protocol: SNS Subscribe to the sockets of a room
      const { TopicArn } = await sns.send(N("CreateTopic", { Name: "t-room" }));
      await sns.send(N("Subscribe", { TopicArn, Protocol: "room", Endpoint: "/bus#watchers", Attributes: { RawMessageDelivery: "true" } }));
      const watcher = await pool.connect(url, "/bus", { transports: ["websocket"] });
      const seen = [];
      watcher.on("t-room", (m) => seen.push(m));
      const joined = await watcher.timeout(5000).emitWithAck("bus:join", "watchers");
      assert.equal(joined.ok, true);
      await sns.send(N("Publish", { TopicArn, Message: "to the room" }));
      for (let i = 0; i < 50 && !seen.length; i++) await sleep(100);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].body, "to the room");
    });
  });

  describe("the wire itself", () => {
    it("routes SQS and SNS by Version when action names collide; answers errors in each shape", T, async () => {
      const post = (body, headers = {}) => fetch(`${url}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
      let res = await post(`Action=AddPermission&Version=2010-03-31&TopicArn=${encodeURIComponent("arn:aws:sns:us-east-1:000000000000:nope")}&Label=l`);
      assert.equal(res.status, 404);
      let text = await res.text();
      assert.match(text, /<ErrorResponse xmlns="http:\/\/sns.amazonaws.com\/doc\/2010-03-31\/">/);
      assert.match(text, /<Code>NotFound<\/Code>/);
      res = await post(`Action=AddPermission&Version=2012-11-05&QueueUrl=${encodeURIComponent(`${url}/${ACCOUNT}/nope`)}&Label=l`);
      assert.equal(res.status, 400);
      text = await res.text();
      assert.match(text, /<ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code>/);
      res = await post("Action=Frobnicate&Version=2012-11-05");
      assert.equal(res.status, 400);
      assert.match(await res.text(), /<Code>InvalidAction<\/Code>/);
      // JSON: __type, message and x-amzn-query-error
      res = await fetch(`${url}/`, { method: "POST", headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.GetQueueUrl" }, body: JSON.stringify({ QueueName: "nope" }) });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get("x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");
      assert.equal(res.headers.get("content-type"), "application/x-amz-json-1.0");
      assert.ok(res.headers.get("x-amzn-requestid"));
      assert.deepEqual(await res.json(), { __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "The specified queue does not exist." });
      res = await fetch(`${url}/`, { method: "POST", headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ListQueues" }, body: "{not json" });
      assert.equal(res.status, 400);
      // Query to the queue URL itself (Java v1/.NET style), and a GET with the query string
      await clients.json.send(S("CreateQueue", { QueueName: "by-path" }));
      res = await fetch(`${url}/${ACCOUNT}/by-path`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Action=SendMessage&Version=2012-11-05&MessageBody=via+path" });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<MD5OfMessageBody>[0-9a-f]{32}<\/MD5OfMessageBody>/);
      res = await fetch(`${url}/${ACCOUNT}/by-path?Action=ReceiveMessage&Version=2012-11-05`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<Body>via path<\/Body>/);
    });

    it("advertises a configured base URL in queue URLs", T, async () => {
      const h2 = await hubs.start({ config: { aws: { advertisedUrl: "http://sqs.example:9324" }, logLevel: "warn" } });
      try {
        const c = sqsClient(h2.url, "json");
        const { QueueUrl } = await c.send(S("CreateQueue", { QueueName: "adv" }));
        assert.equal(QueueUrl, `http://sqs.example:9324/${ACCOUNT}/adv`);
        // the SDK is given an explicit endpoint, so it keeps using it
        await c.send(S("SendMessage", { QueueUrl, MessageBody: "x" }));
      } finally {
        await h2.stop();
      }
    });

    it("ends long polls cleanly when the hub shuts down", T, async () => {
      const h5 = await hubs.start({ config: { aws: {}, logLevel: "warn" } });
      const c = sqsClient(h5.url, "json");
      const { QueueUrl } = await c.send(S("CreateQueue", { QueueName: "shutdown" }));
      const polls = [0, 1, 2].map(() => c.send(S("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 20 })).then(
        (r) => ({ empty: r.Messages === undefined }), (e) => ({ error: e.name })));
      await sleep(300);
      const t0 = Date.now();
      const stopped = await h5.stop(5000);
      assert.equal(stopped.killed, false);
      assert.equal(stopped.code, 0);
      for (const p of await Promise.all(polls)) assert.ok(p.empty || p.error, JSON.stringify(p));
      assert.ok(Date.now() - t0 < 5000);
    });

    it("verifies SigV4 when access keys are configured", T, async () => {
      const h3 = await hubs.start({ config: { aws: { accessKeys: { AKIDGOOD: "right-secret" } }, logLevel: "warn" } });
      try {
        const good = sqsClient(h3.url, "json", { credentials: { accessKeyId: "AKIDGOOD", secretAccessKey: "right-secret" } });
        const { QueueUrl } = await good.send(S("CreateQueue", { QueueName: "signed" }));
        await good.send(S("SendMessage", { QueueUrl, MessageBody: "signed body" }));
        const goodQuery = sqsClient(h3.url, "query", { credentials: { accessKeyId: "AKIDGOOD", secretAccessKey: "right-secret" } });
        assert.equal((await goodQuery.send(S("ReceiveMessage", { QueueUrl }))).Messages[0].Body, "signed body");
        const goodSns = new snsMod.SNSClient(clientConfig(h3.url, { credentials: { accessKeyId: "AKIDGOOD", secretAccessKey: "right-secret" } }));
        await goodSns.send(N("CreateTopic", { Name: "signed" }));

        const wrong = sqsClient(h3.url, "json", { credentials: { accessKeyId: "AKIDGOOD", secretAccessKey: "wrong" } });
        const e1 = await rejects(wrong.send(S("ListQueues", {})));
        assert.equal(e1.$metadata.httpStatusCode, 403);
        assert.equal(e1.Code || e1.name, "SignatureDoesNotMatch");
        const stranger = sqsClient(h3.url, "query", { credentials: { accessKeyId: "AKIDOTHER", secretAccessKey: "x" } });
        const e2 = await rejects(stranger.send(S("ListQueues", {})));
        assert.equal(e2.$metadata.httpStatusCode, 403);
        assert.equal(e2.Code || e2.name, "InvalidClientTokenId");
        const wrongSns = new snsMod.SNSClient(clientConfig(h3.url, { credentials: { accessKeyId: "AKIDGOOD", secretAccessKey: "nope" } }));
        const e3 = await rejects(wrongSns.send(N("ListTopics", {})));
        assert.equal(e3.$metadata.httpStatusCode, 403);
        assert.equal(e3.Code || e3.name, "SignatureDoesNotMatch");
        const res = await fetch(`${h3.url}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Action=ListQueues&Version=2012-11-05" });
        assert.equal(res.status, 403);
        assert.match(await res.text(), /MissingAuthenticationToken/);
      } finally {
        await h3.stop();
      }
    });
  });
});
