"""Hubbub's SQS and SNS wire APIs driven by Debian's python3-boto3 (botocore 1.29: the Query protocol
for both services). Nothing is mocked: botocore signs, serializes, checks the MD5s SQS returns and raises
the typed exceptions of its service models.

Run from tests/integration:  /usr/bin/python3 -m unittest -v test_aws_boto3.py
One hub is shared by the tests of a class; each test uses its own queues and topics.
"""

import base64
import datetime
import hashlib
import json
import os
import struct
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import warnings
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import pyhub  # noqa: E402
from http_receiver import verify_envelope  # noqa: E402  (RSA, as SNS validators check)
from pyhub import Client, Hub  # noqa: E402

ACCOUNT = "000000000000"
REGION = "us-east-1"
SECRET = "boto-signing-secret"
SKIP = pyhub.target() == "reference"
warnings.simplefilter("ignore", ResourceWarning)  # botocore's pooled connections at exit


def md5_of_attributes(attrs):
    """MD5OfMessageAttributes computed here, independently of the hub (aws-wire §3.5)."""
    out = b""
    for name in sorted(attrs):
        a = attrs[name]
        binary = a["DataType"].startswith("Binary")
        value = a["BinaryValue"] if binary else a["StringValue"].encode()
        for part in (name.encode(), a["DataType"].encode()):
            out += struct.pack(">I", len(part)) + part
        out += bytes([2 if binary else 1]) + struct.pack(">I", len(value)) + value
    return hashlib.md5(out).hexdigest()


def code(err):
    return err.response["Error"]["Code"]


def fetch(url, method="POST", headers=None, body=b""):
    """Fetches a presigned URL the way a browser or curl would: no SDK, nothing signed here.
    Returns (status, headers, body bytes)."""
    req = urllib.request.Request(url, data=body if method == "POST" else None, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def presign_at(url, service, secret, when, expires, method="POST", akid="AKIDPY", headers=None):
    """url presigned by botocore's SigV4QueryAuth as if at datetime when (UTC), valid expires s."""
    class Clock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when
    req = botocore.awsrequest.AWSRequest(method=method, url=url, headers=headers or {})
    with mock.patch.object(botocore.auth.datetime, "datetime", Clock):
        botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials(akid, secret), service,
                                     REGION, expires=expires).add_auth(req)
    return req.url


@unittest.skipIf(SKIP, "the reference has no AWS API")
class Boto3Test(unittest.TestCase):
    hub = None

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(config={
            "aws": {},
            "logLevel": "warn",
            "namespaces": {"/": {"app": "relay"}, "/bus": {"bus": True}},
            "bus": {"signingSecret": SECRET},
            "queues": {"py-bridged": {}},
            "topics": {"py-events": {"subscriptions": [{"queue": "py-bridged"}]}},
            "bridges": [{"namespace": "/", "event": "order", "topic": "py-events",
                         "attributes": ["kind"]}],
        }).start()
        cls.url = cls.hub.url
        session = boto3.session.Session(aws_access_key_id="AKIDPY", aws_secret_access_key="dummy",
                                        region_name=REGION)
        cfg = Config(retries={"max_attempts": 1}, read_timeout=30)
        cls.sqs = session.client("sqs", endpoint_url=cls.url, config=cfg)
        cls.sns = session.client("sns", endpoint_url=cls.url, config=cfg)

    @classmethod
    def tearDownClass(cls):
        for c in (cls.sqs, cls.sns):
            getattr(c, "close", lambda: None)()
        if cls.hub:
            cls.hub.close()

    def queue(self, name, **attrs):
        return self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]

    # -- SQS ---------------------------------------------------------------------------------------
    def test_queue_lifecycle(self):
        url = self.sqs.create_queue(QueueName="py-life", Attributes={"VisibilityTimeout": "40"},
                                    tags={"team": "a"})["QueueUrl"]
        self.assertEqual(url, "%s/%s/py-life" % (self.url, ACCOUNT))
        self.assertEqual(self.sqs.get_queue_url(QueueName="py-life")["QueueUrl"], url)
        with self.assertRaises(self.sqs.exceptions.QueueNameExists):
            self.sqs.create_queue(QueueName="py-life", Attributes={"VisibilityTimeout": "41"})
        for n in "abc":
            self.queue("py-page-" + n)
        page = self.sqs.list_queues(QueueNamePrefix="py-page-", MaxResults=2)
        self.assertEqual(len(page["QueueUrls"]), 2)
        rest = self.sqs.list_queues(QueueNamePrefix="py-page-", MaxResults=2,
                                    NextToken=page["NextToken"])
        self.assertEqual(rest["QueueUrls"], ["%s/%s/py-page-c" % (self.url, ACCOUNT)])
        self.assertNotIn("NextToken", rest)
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["VisibilityTimeout"], "40")
        self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "2"})
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])
        self.assertEqual(attrs["Attributes"], {"DelaySeconds": "2"})
        with self.assertRaises(ClientError) as cm:
            self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Bogus": "1"})
        self.assertEqual(code(cm.exception), "InvalidAttributeName")
        self.sqs.tag_queue(QueueUrl=url, Tags={"env": "ci"})
        self.sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
        self.assertEqual(self.sqs.list_queue_tags(QueueUrl=url)["Tags"], {"env": "ci"})
        self.sqs.add_permission(QueueUrl=url, Label="l", AWSAccountIds=[ACCOUNT],
                                Actions=["SendMessage"])
        self.sqs.remove_permission(QueueUrl=url, Label="l")
        self.sqs.delete_queue(QueueUrl=url)
        with self.assertRaises(self.sqs.exceptions.QueueDoesNotExist) as cm:
            self.sqs.get_queue_url(QueueName="py-life")
        self.assertEqual(code(cm.exception), "AWS.SimpleQueueService.NonExistentQueue")

    def test_messages_md5_and_attributes(self):
        url = self.queue("py-msgs")
        attrs = {"s": {"DataType": "String", "StringValue": "välue"},
                 "n": {"DataType": "Number.float", "StringValue": "3.25"},
                 "b": {"DataType": "Binary", "BinaryValue": b"\x00\xffbin"}}
        body = "body with <xml> & \u00fcnicode\r\nand CRLF"
        sent = self.sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attrs)
        self.assertEqual(sent["MD5OfMessageBody"], hashlib.md5(body.encode()).hexdigest())
        self.assertEqual(sent["MD5OfMessageAttributes"], md5_of_attributes(attrs))
        got = self.sqs.receive_message(QueueUrl=url, AttributeNames=["All"],
                                       MessageAttributeNames=["All"], VisibilityTimeout=0)
        m = got["Messages"][0]
        self.assertEqual(m["Body"], body)
        self.assertEqual(m["MessageAttributes"]["b"]["BinaryValue"], b"\x00\xffbin")
        self.assertEqual(m["MD5OfMessageAttributes"], md5_of_attributes(attrs))
        self.assertEqual(m["Attributes"]["SenderId"], "AKIDPY")
        self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "1")
        # a filtered receive: only the attributes asked for, and the MD5 over those
        got = self.sqs.receive_message(QueueUrl=url, MessageAttributeNames=["s"],
                                       AttributeNames=["ApproximateReceiveCount"])
        m = got["Messages"][0]
        self.assertEqual(list(m["MessageAttributes"]), ["s"])
        self.assertEqual(m["MD5OfMessageAttributes"], md5_of_attributes({"s": attrs["s"]}))
        self.assertEqual(m["Attributes"], {"ApproximateReceiveCount": "2"})
        self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                           VisibilityTimeout=60)
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        with self.assertRaises(ClientError) as cm:
            self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="bogus",
                                               VisibilityTimeout=5)
        self.assertEqual(code(cm.exception), "ReceiptHandleIsInvalid")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        with self.assertRaises(ClientError) as cm:
            self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
        self.assertEqual(code(cm.exception), "InvalidParameterValue")
        with self.assertRaises(ClientError) as cm:
            self.sqs.send_message(QueueUrl=url, MessageBody="\x01")
        self.assertEqual(code(cm.exception), "InvalidMessageContents")
        for i in range(3):
            self.sqs.send_message(QueueUrl=url, MessageBody="p%d" % i)
        self.sqs.purge_queue(QueueUrl=url)
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))
        with self.assertRaises(self.sqs.exceptions.PurgeQueueInProgress):
            self.sqs.purge_queue(QueueUrl=url)

    def test_batches_partial_failures(self):
        url = self.queue("py-batch", MaximumMessageSize="1024")
        res = self.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "ok", "MessageBody": "fine"},
            {"Id": "long", "MessageBody": "x" * 2000},
            {"Id": "ok2", "MessageBody": "fine too", "DelaySeconds": 0},
        ])
        self.assertEqual([e["Id"] for e in res["Successful"]], ["ok", "ok2"])
        self.assertEqual([(e["Id"], e["SenderFault"], e["Code"]) for e in res["Failed"]],
                         [("long", True, "InvalidParameterValue")])
        msgs = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(sorted(m["Body"] for m in msgs), ["fine", "fine too"])
        ch = self.sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": "a", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 30},
            {"Id": "z", "ReceiptHandle": "nope", "VisibilityTimeout": 30}])
        self.assertEqual([e["Id"] for e in ch["Successful"]], ["a"])
        self.assertEqual([e["Code"] for e in ch["Failed"]], ["ReceiptHandleIsInvalid"])
        dl = self.sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": "m%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
        self.assertEqual(len(dl["Successful"]), 2)
        for entries, exc in (([], "EmptyBatchRequest"),
                             ([{"Id": "e%d" % i, "MessageBody": "x"} for i in range(11)],
                              "TooManyEntriesInBatchRequest"),
                             ([{"Id": "d", "MessageBody": "x"}, {"Id": "d", "MessageBody": "y"}],
                              "BatchEntryIdsNotDistinct"),
                             ([{"Id": "bad id", "MessageBody": "x"}], "InvalidBatchEntryId")):
            with self.assertRaises(getattr(self.sqs.exceptions, exc)):
                self.sqs.send_message_batch(QueueUrl=url, Entries=entries)

    def test_long_polling(self):
        url = self.queue("py-poll")
        t0 = time.monotonic()
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1))
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        # woken by a send from another thread
        threading.Timer(0.3, lambda: self.sqs.send_message(QueueUrl=url, MessageBody="w")).start()
        t0 = time.monotonic()
        m = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"][0]
        self.assertLess(time.monotonic() - t0, 3)
        # woken by a visibility timeout ending
        self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                           VisibilityTimeout=1)
        t0 = time.monotonic()
        m2 = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"][0]
        self.assertEqual(m2["MessageId"], m["MessageId"])
        self.assertGreaterEqual(time.monotonic() - t0, 0.5)
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"])
        # woken by a delay ending
        self.sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=1)
        t0 = time.monotonic()
        m3 = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"][0]
        self.assertEqual(m3["Body"], "delayed")
        self.assertGreaterEqual(time.monotonic() - t0, 0.8)

    def test_fifo(self):
        url = self.queue("py-orders.fifo", FifoQueue="true")
        a = self.sqs.send_message(QueueUrl=url, MessageBody="1", MessageGroupId="g",
                                  MessageDeduplicationId="one")
        self.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "b", "MessageBody": "2", "MessageGroupId": "g", "MessageDeduplicationId": "two"},
            {"Id": "c", "MessageBody": "3", "MessageGroupId": "g", "MessageDeduplicationId": "three"}])
        dup = self.sqs.send_message(QueueUrl=url, MessageBody="1 again", MessageGroupId="g",
                                    MessageDeduplicationId="one")
        self.assertEqual(dup["MessageId"], a["MessageId"])
        self.assertTrue(a["SequenceNumber"].isdigit())
        with self.assertRaises(ClientError) as cm:  # no dedup id, no content-based dedup
            self.sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
        self.assertEqual(code(cm.exception), "InvalidParameterValue")
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       ReceiveRequestAttemptId="try-1",
                                       AttributeNames=["MessageGroupId", "SequenceNumber",
                                                       "MessageDeduplicationId"])["Messages"]
        self.assertEqual([m["Body"] for m in got], ["1", "2", "3"])
        self.assertEqual(got[0]["Attributes"]["MessageDeduplicationId"], "one")
        again = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                         ReceiveRequestAttemptId="try-1")["Messages"]
        self.assertEqual([m["ReceiptHandle"] for m in again], [m["ReceiptHandle"] for m in got])

    def test_dead_letters_and_move_tasks(self):
        dlq = self.queue("py-dlq")
        arn = "arn:aws:sqs:%s:%s:py-dlq" % (REGION, ACCOUNT)
        src = self.queue("py-src", RedrivePolicy=json.dumps({"deadLetterTargetArn": arn,
                                                             "maxReceiveCount": "1"}))
        self.sqs.send_message(QueueUrl=src, MessageBody="poison")
        self.sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=src))
        self.assertEqual(self.sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"], [src])
        # botocore 1.29's model has no message move tasks: sign and send them by hand
        task = self.query("StartMessageMoveTask", {"SourceArn": arn})
        self.assertTrue(task.findtext(".//{*}TaskHandle"))
        for _ in range(50):
            tasks = self.query("ListMessageMoveTasks", {"SourceArn": arn})
            if tasks.findtext(".//{*}Status") == "COMPLETED":
                break
            time.sleep(0.1)
        self.assertEqual(tasks.findtext(".//{*}ListMessageMoveTasksResultEntry/{*}Status"),
                         "COMPLETED")
        self.assertEqual(tasks.findtext(".//{*}ApproximateNumberOfMessagesMoved"), "1")
        back = self.sqs.receive_message(QueueUrl=src, WaitTimeSeconds=2)["Messages"]
        self.assertEqual(back[0]["Body"], "poison")
        err = self.query("CancelMessageMoveTask", {"TaskHandle": "nope"}, status=404)
        self.assertEqual(err.findtext(".//{*}Code"), "ResourceNotFoundException")

    def query(self, action, params, status=200):
        """A Query request signed by botocore's own SigV4 signer; returns the parsed XML."""
        body = urllib.parse.urlencode(dict(params, Action=action, Version="2012-11-05"))
        req = botocore.awsrequest.AWSRequest(
            method="POST", url=self.url + "/", data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        creds = botocore.credentials.Credentials("AKIDPY", "dummy")
        botocore.auth.SigV4Auth(creds, "sqs", REGION).add_auth(req)
        prepared = req.prepare()
        r = urllib.request.Request(prepared.url, data=prepared.body.encode()
                                   if isinstance(prepared.body, str) else prepared.body,
                                   headers=dict(prepared.headers), method="POST")
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                got, text = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            got, text = e.code, e.read()
        self.assertEqual(got, status, text)
        return ET.fromstring(text)

    # -- SNS ---------------------------------------------------------------------------------------
    def test_topics(self):
        arn = self.sns.create_topic(Name="py-topic", Attributes={"DisplayName": "D"},
                                    Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
        self.assertEqual(arn, "arn:aws:sns:%s:%s:py-topic" % (REGION, ACCOUNT))
        fifo = self.sns.create_topic(Name="py-topic.fifo", Attributes={"FifoTopic": "true"})
        arns = [t["TopicArn"] for t in self.sns.list_topics()["Topics"]]
        self.assertIn(arn, arns)
        self.assertIn(fifo["TopicArn"], arns)
        self.sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="E")
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"], "E")
        self.sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k2", "Value": "v2"}])
        self.sns.untag_resource(ResourceArn=arn, TagKeys=["k"])
        self.assertEqual(self.sns.list_tags_for_resource(ResourceArn=arn)["Tags"],
                         [{"Key": "k2", "Value": "v2"}])
        self.sns.add_permission(TopicArn=arn, Label="l", AWSAccountId=[ACCOUNT], ActionName=["Publish"])
        self.sns.remove_permission(TopicArn=arn, Label="l")
        self.sns.delete_topic(TopicArn=arn)
        with self.assertRaises(self.sns.exceptions.NotFoundException):
            self.sns.get_topic_attributes(TopicArn=arn)
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.create_topic(Name="no spaces allowed")
        with self.assertRaises(self.sns.exceptions.ResourceNotFoundException):
            self.sns.list_tags_for_resource(ResourceArn=arn)

    def test_publish_and_subscriptions(self):
        arn = self.sns.create_topic(Name="py-fan")["TopicArn"]
        q1 = self.queue("py-fan-raw")
        q2 = self.queue("py-fan-env")
        raw = self.sns.subscribe(TopicArn=arn, Protocol="sqs",
                                 Endpoint="arn:aws:sqs:%s:%s:py-fan-raw" % (REGION, ACCOUNT),
                                 Attributes={"RawMessageDelivery": "true",
                                             "FilterPolicy": json.dumps({"n": [{"numeric": [">", 5]}]})},
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
        env = self.sns.subscribe(TopicArn=arn, Protocol="sqs",
                                 Endpoint="arn:aws:sqs:%s:%s:py-fan-env" % (REGION, ACCOUNT))["SubscriptionArn"]
        subs = self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        self.assertEqual(sorted(s["SubscriptionArn"] for s in subs), sorted([raw, env]))
        self.assertTrue(any(s["SubscriptionArn"] == raw for s in self.sns.list_subscriptions()["Subscriptions"]))
        attrs = self.sns.get_subscription_attributes(SubscriptionArn=raw)["Attributes"]
        self.assertEqual(attrs["RawMessageDelivery"], "true")
        self.sns.set_subscription_attributes(SubscriptionArn=env, AttributeName="FilterPolicyScope",
                                             AttributeValue="MessageAttributes")
        self.sns.publish(TopicArn=arn, Message="small", MessageAttributes={"n": {"DataType": "Number", "StringValue": "1"}})
        big = self.sns.publish(TopicArn=arn, Message="big", Subject="S",
                               MessageAttributes={"n": {"DataType": "Number", "StringValue": "9"}})
        res = self.sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
            {"Id": "1", "Message": "batch", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "6"}}},
            {"Id": "2", "Message": "", "MessageAttributes": {}}])
        self.assertEqual([e["Id"] for e in res["Successful"]], ["1"])
        self.assertEqual([(e["Id"], e["SenderFault"]) for e in res["Failed"]], [("2", True)])

        def drain(url, n):
            out = []
            for _ in range(20):
                if len(out) >= n:
                    break
                out += self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=1).get("Messages", [])
            return out
        self.assertEqual(sorted(m["Body"] for m in drain(q1, 2)), ["batch", "big"])
        envs = [json.loads(m["Body"]) for m in drain(q2, 3)]
        self.assertEqual(sorted(e["Message"] for e in envs), ["batch", "big", "small"])
        e = [e for e in envs if e["MessageId"] == big["MessageId"]][0]
        self.assertEqual((e["Type"], e["TopicArn"], e["Subject"]), ("Notification", arn, "S"))
        self.sns.unsubscribe(SubscriptionArn=raw)
        with self.assertRaises(self.sns.exceptions.NotFoundException):
            self.sns.get_subscription_attributes(SubscriptionArn=raw)
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="someone@example.com")
        with self.assertRaises(self.sns.exceptions.NotFoundException):
            self.sns.publish(TopicArn=arn + "-missing", Message="x")

    def test_http_subscription_confirmation(self):
        got = []
        cond = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with cond:
                    got.append((dict(self.headers), body))
                    cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            arn = self.sns.create_topic(Name="py-http")["TopicArn"]
            endpoint = "http://127.0.0.1:%d/hook" % server.server_port
            self.assertEqual(self.sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=endpoint)
                             ["SubscriptionArn"], "pending confirmation")
            with cond:
                self.assertTrue(cond.wait_for(lambda: got, 10))
            confirmation = json.loads(got[0][1])
            self.assertEqual(confirmation["Type"], "SubscriptionConfirmation")
            # The envelope's RSA signature holds with the certificate at SigningCertURL, served
            # by the hub: SignatureVersion 1 (SHA1withRSA) by default.
            cert_url = confirmation["SigningCertURL"]
            self.assertTrue(cert_url.startswith(self.url + "/_hubbub/sns/SigningCert-"), cert_url)
            with urllib.request.urlopen(cert_url, timeout=5) as r:
                self.assertEqual(r.headers["Content-Type"], "application/x-pem-file")
                cert = r.read()
            self.assertEqual(confirmation["SignatureVersion"], "1")
            self.assertTrue(verify_envelope(confirmation, cert))
            self.assertFalse(verify_envelope(dict(confirmation, Token="0" * 64), cert))
            sub = self.sns.confirm_subscription(TopicArn=arn, Token=confirmation["Token"])
            self.assertTrue(sub["SubscriptionArn"].startswith(arn + ":"))
            msg = self.sns.publish(TopicArn=arn, Message="hello http")
            with cond:
                self.assertTrue(cond.wait_for(lambda: len(got) >= 2, 10))
            headers, body = got[1]
            note = json.loads(body)
            self.assertEqual((note["Type"], note["MessageId"], note["Message"]),
                             ("Notification", msg["MessageId"], "hello http"))
            want = "sha256=" + __import__("hmac").new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            self.assertEqual(headers.get("X-Hubbub-Signature"), want)
            self.assertEqual(note["SignatureVersion"], "1")
            self.assertTrue(verify_envelope(note, cert))
            self.assertFalse(verify_envelope(dict(note, Message="hello HTTP"), cert))
            # SignatureVersion 2 (SHA256withRSA) once the topic says so.
            self.sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion",
                                          AttributeValue="2")
            self.sns.publish(TopicArn=arn, Message="hello v2")
            with cond:
                self.assertTrue(cond.wait_for(lambda: len(got) >= 3, 10))
            note2 = json.loads(got[2][1])
            self.assertEqual((note2["Message"], note2["SignatureVersion"]), ("hello v2", "2"))
            self.assertTrue(verify_envelope(note2, cert))
            self.assertFalse(verify_envelope(dict(note2, SignatureVersion="1"), cert))
        finally:
            server.shutdown()
            server.server_close()

    # -- mobile push, SMS, data protection (recorded, LocalStack's retrospection paths) -------------
    def retro(self, path, query=None, method="GET"):
        """GET (the JSON) or DELETE (204) one of LocalStack's /_aws/sns/ retrospection paths."""
        url = "%s/_aws/sns/%s" % (self.url, path)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            if method == "DELETE":
                self.assertEqual(resp.status, 204)
                return None
            self.assertEqual(resp.status, 200)
            return json.loads(resp.read())

    def test_platform_applications_and_endpoints(self):
        app = self.sns.create_platform_application(
            Name="py-app", Platform="APNS",
            Attributes={"PlatformCredential": "key", "PlatformPrincipal": "cert"})["PlatformApplicationArn"]
        self.assertEqual(app, "arn:aws:sns:%s:%s:app/APNS/py-app" % (REGION, ACCOUNT))
        self.assertIn(app, [a["PlatformApplicationArn"] for a in
                            self.sns.list_platform_applications()["PlatformApplications"]])
        self.assertEqual(self.sns.get_platform_application_attributes(PlatformApplicationArn=app)
                         ["Attributes"], {"Enabled": "true"})
        self.sns.set_platform_application_attributes(PlatformApplicationArn=app,
                                                     Attributes={"EventDeliveryFailure": "arn:x"})
        self.assertEqual(self.sns.get_platform_application_attributes(PlatformApplicationArn=app)
                         ["Attributes"]["EventDeliveryFailure"], "arn:x")
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.create_platform_application(Name="py-bad", Platform="GCM", Attributes={"X": "y"})
        ep = self.sns.create_platform_endpoint(PlatformApplicationArn=app, Token="py-token",
                                               Attributes={"CustomUserData": "data"})["EndpointArn"]
        self.assertTrue(ep.startswith("arn:aws:sns:%s:%s:endpoint/APNS/py-app/" % (REGION, ACCOUNT)))
        self.assertEqual(self.sns.create_platform_endpoint(
            PlatformApplicationArn=app, Token="py-token", CustomUserData="data")["EndpointArn"], ep)
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.create_platform_endpoint(PlatformApplicationArn=app, Token="py-token",
                                              CustomUserData="other")
        self.assertEqual(self.sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"],
                         {"Enabled": "true", "Token": "py-token", "CustomUserData": "data"})
        eps = self.sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
        self.assertEqual([e["EndpointArn"] for e in eps], [ep])

        self.retro("platform-endpoint-messages", {"endpointArn": ep}, "DELETE")
        apns = json.dumps({"aps": {"alert": "hi"}})
        msg = self.sns.publish(TargetArn=ep, Message=json.dumps({"default": "d", "APNS": apns}),
                               MessageStructure="json")
        arn = self.sns.create_topic(Name="py-push")["TopicArn"]
        self.sns.subscribe(TopicArn=arn, Protocol="application", Endpoint=ep)
        fan = self.sns.publish(TopicArn=arn, Message="via topic", Subject="S")
        got = self.retro("platform-endpoint-messages", {"endpointArn": ep})
        self.assertEqual(got["region"], REGION)
        recs = got["platform_endpoint_messages"][ep]
        self.assertEqual([r["MessageId"] for r in recs], [msg["MessageId"], fan["MessageId"]])
        self.assertEqual((recs[0]["Message"], recs[0]["MessageStructure"], recs[0]["TopicArn"]),
                         (apns, "json", ""))
        self.assertEqual((recs[1]["Message"], recs[1]["Subject"], recs[1]["TopicArn"]),
                         ("via topic", "S", arn))

        self.sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
        with self.assertRaises(self.sns.exceptions.EndpointDisabledException):
            self.sns.publish(TargetArn=ep, Message="x")
        self.sns.publish(TopicArn=arn, Message="not to a disabled endpoint")
        self.assertEqual(len(self.retro("platform-endpoint-messages", {"endpointArn": ep})
                             ["platform_endpoint_messages"][ep]), 2)
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.publish(TargetArn=ep.rsplit("/", 1)[0] + "/nope", Message="x")
        self.sns.delete_endpoint(EndpointArn=ep)
        with self.assertRaises(self.sns.exceptions.NotFoundException):
            self.sns.get_endpoint_attributes(EndpointArn=ep)
        ep2 = self.sns.create_platform_endpoint(PlatformApplicationArn=app, Token="t2")["EndpointArn"]
        self.sns.delete_platform_application(PlatformApplicationArn=app)
        with self.assertRaises(self.sns.exceptions.NotFoundException):
            self.sns.get_endpoint_attributes(EndpointArn=ep2)
        with self.assertRaises(self.sns.exceptions.NotFoundException):
            self.sns.get_platform_application_attributes(PlatformApplicationArn=app)
        with self.assertRaises(self.sns.exceptions.NotFoundException):
            self.sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)

    def test_sms(self):
        phone, sub = "+4915550100001", "+4915550100002"
        self.retro("sms-messages", method="DELETE")
        direct = self.sns.publish(PhoneNumber=phone, Message="hello sms")
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.publish(PhoneNumber="+0", Message="x")
        arn = self.sns.create_topic(Name="py-sms")["TopicArn"]
        sub_arn = self.sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint=sub)["SubscriptionArn"]
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="not a number")
        fan = self.sns.publish(TopicArn=arn, Message="to the topic")
        got = self.retro("sms-messages")["sms_messages"]
        self.assertEqual(got[phone], [{
            "PhoneNumber": phone, "TopicArn": None, "SubscriptionArn": None,
            "MessageId": direct["MessageId"], "Message": "hello sms", "MessageAttributes": {},
            "MessageStructure": None, "Subject": None}])
        self.assertEqual([(m["MessageId"], m["TopicArn"], m["SubscriptionArn"]) for m in got[sub]],
                         [(fan["MessageId"], arn, sub_arn)])

        # opted out through LocalStack's endpoint: nothing reaches the number
        req = urllib.request.Request(self.url + "/_aws/sns/phone-opt-outs", method="POST",
                                     data=json.dumps({"phoneNumber": sub}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.assertEqual(resp.status, 200)
        self.assertTrue(self.sns.check_if_phone_number_is_opted_out(phoneNumber=sub)["isOptedOut"])
        self.assertIn(sub, self.sns.list_phone_numbers_opted_out()["phoneNumbers"])
        self.sns.publish(TopicArn=arn, Message="silenced")
        self.assertEqual(len(self.retro("sms-messages", {"phoneNumber": sub})["sms_messages"][sub]), 1)
        self.sns.opt_in_phone_number(phoneNumber=sub)
        self.assertFalse(self.sns.check_if_phone_number_is_opted_out(phoneNumber=sub)["isOptedOut"])
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.opt_in_phone_number(phoneNumber="abc")
        self.retro("sms-messages", {"phoneNumber": phone}, "DELETE")
        self.assertEqual(self.retro("sms-messages", {"phoneNumber": phone})["sms_messages"], {phone: []})

        self.sns.set_sms_attributes(attributes={"MonthlySpendLimit": "10", "DefaultSMSType": "Promotional"})
        self.assertEqual(self.sns.get_sms_attributes()["attributes"],
                         {"MonthlySpendLimit": "10", "DefaultSMSType": "Promotional"})
        self.assertEqual(self.sns.get_sms_attributes(attributes=["MonthlySpendLimit"])["attributes"],
                         {"MonthlySpendLimit": "10"})
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.set_sms_attributes(attributes={"DefaultSenderID": "not valid!"})

    def test_sms_sandbox(self):
        phone = "+4915550100003"
        self.assertEqual(self.sns.get_sms_sandbox_account_status()["IsInSandbox"], False)
        self.sns.create_sms_sandbox_phone_number(PhoneNumber=phone, LanguageCode="de-DE")
        numbers = self.sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
        self.assertIn({"PhoneNumber": phone, "Status": "Pending"}, numbers)
        sms = self.retro("sms-messages", {"phoneNumber": phone})["sms_messages"][phone]
        otp = [w for w in sms[-1]["Message"].split() if w.isdigit()][0]
        with self.assertRaises(self.sns.exceptions.VerificationException):
            self.sns.verify_sms_sandbox_phone_number(PhoneNumber=phone,
                                                     OneTimePassword="1" + otp[1:] if otp[0] != "1" else "2" + otp[1:])
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.create_sms_sandbox_phone_number(PhoneNumber=phone, LanguageCode="xx-XX")
        self.sns.verify_sms_sandbox_phone_number(PhoneNumber=phone, OneTimePassword=otp)
        self.assertIn({"PhoneNumber": phone, "Status": "Verified"},
                      self.sns.list_sms_sandbox_phone_numbers(MaxResults=100)["PhoneNumbers"])
        self.sns.delete_sms_sandbox_phone_number(PhoneNumber=phone)
        with self.assertRaises(self.sns.exceptions.ResourceNotFoundException):
            self.sns.delete_sms_sandbox_phone_number(PhoneNumber=phone)
        self.assertEqual(self.sns.list_origination_numbers(MaxResults=5)["PhoneNumbers"], [])

    def test_data_protection_policy(self):
        arn = self.sns.create_topic(Name="py-dpp")["TopicArn"]
        self.assertEqual(self.sns.get_data_protection_policy(ResourceArn=arn).get("DataProtectionPolicy", ""), "")
        policy = json.dumps({"Name": "py", "Version": "2021-06-01", "Statement": []})
        self.sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=policy)
        self.assertEqual(self.sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"], policy)
        with self.assertRaises(self.sns.exceptions.InvalidParameterException):
            self.sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy="not json")
        with self.assertRaises(self.sns.exceptions.NotFoundException):
            self.sns.get_data_protection_policy(ResourceArn=arn + "-missing")

    # -- every door ----------------------------------------------------------------------------------
    def test_bridged_socket_event_reaches_a_polling_python_service(self):
        client = Client()
        client.connect(self.url, transports=["websocket"], wait_timeout=5)
        try:
            client.emit("order", {"kind": "created", "id": 42})
            url = self.sqs.get_queue_url(QueueName="py-bridged")["QueueUrl"]
            msgs = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5,
                                            MessageAttributeNames=["All"]).get("Messages", [])
            self.assertEqual(len(msgs), 1)
            # config subscriptions deliver raw by default: the event's argument, its "kind" field
            # as a message attribute
            self.assertEqual(json.loads(msgs[0]["Body"]), {"kind": "created", "id": 42})
            self.assertEqual(msgs[0]["MessageAttributes"]["kind"]["StringValue"], "created")
        finally:
            client.disconnect()

    def test_socket_and_boto3_share_queues(self):
        url = self.queue("py-doors")
        client = Client()
        pushed = []
        cond = threading.Condition()

        def on_message(queue, msg):
            with cond:
                pushed.append((queue, msg))
                cond.notify_all()
            return True  # acknowledged: deleted

        client.on("bus:message", on_message, namespace="/bus")
        client.connect(self.url, namespaces=["/bus"], transports=["websocket"], wait_timeout=5)
        try:
            sent = client.call("bus:send", ("py-doors", "from python socket", {}), namespace="/bus",
                               timeout=5)
            self.assertTrue(sent["ok"], sent)
            m = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
            self.assertEqual((m["Body"], m["MessageId"]), ("from python socket", sent["messageId"]))
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            self.assertTrue(client.call("bus:subscribe", ("py-doors", {}), namespace="/bus",
                                        timeout=5)["ok"])
            self.sqs.send_message(QueueUrl=url, MessageBody="from boto3")
            with cond:
                self.assertTrue(cond.wait_for(lambda: pushed, 5))
            self.assertEqual(pushed[0][0], "py-doors")
            self.assertEqual(pushed[0][1]["body"], "from boto3")
        finally:
            client.disconnect()


@unittest.skipIf(SKIP, "the reference has no AWS API")
class Boto3SignatureTest(unittest.TestCase):
    def test_sigv4_verified_with_configured_keys(self):
        with Hub(config={"aws": {"accessKeys": {"AKIDPY": "the-secret"}}, "logLevel": "warn"}) as hub:
            def client(service, secret, akid="AKIDPY"):
                return boto3.client(service, endpoint_url=hub.url, region_name=REGION,
                                    aws_access_key_id=akid, aws_secret_access_key=secret,
                                    config=Config(retries={"max_attempts": 1}))
            good = client("sqs", "the-secret")
            url = good.create_queue(QueueName="signed")["QueueUrl"]
            good.send_message(QueueUrl=url, MessageBody="ok")
            client("sns", "the-secret").create_topic(Name="signed")
            for service, call in (("sqs", lambda c: c.list_queues()),
                                  ("sns", lambda c: c.list_topics())):
                with self.assertRaises(ClientError) as cm:
                    call(client(service, "wrong-secret"))
                self.assertEqual(code(cm.exception), "SignatureDoesNotMatch")
                self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
                with self.assertRaises(ClientError) as cm:
                    call(client(service, "x", akid="AKIDNOBODY"))
                self.assertEqual(code(cm.exception), "InvalidClientTokenId")


@unittest.skipIf(SKIP, "the reference has no AWS API")
class Boto3PresignedTest(unittest.TestCase):
    """Presigned requests (SigV4 in the query string): URLs from botocore's
    generate_presigned_url (SigV4QueryAuth), fetched with urllib against a hub with keys."""
    hub = None

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(config={"aws": {"accessKeys": {"AKIDPY": "the-secret"}},
                              "logLevel": "warn"}).start()
        cls.url = cls.hub.url
        cls.clients = []

    @classmethod
    def tearDownClass(cls):
        for c in cls.clients:
            c.close()
        if cls.hub:
            cls.hub.close()

    def client(self, service, secret="the-secret", akid="AKIDPY"):
        c = boto3.client(service, endpoint_url=self.url, region_name=REGION,
                         aws_access_key_id=akid, aws_secret_access_key=secret,
                         config=Config(retries={"max_attempts": 1}))
        self.clients.append(c)
        return c

    def xml(self, url, status, **kw):
        got, _, text = fetch(url, **kw)
        self.assertEqual(got, status, text)
        return ET.fromstring(text)

    def error(self, url, status, error_code, **kw):
        err = self.xml(url, status, **kw)
        self.assertEqual(err.findtext(".//{*}Code"), error_code, ET.tostring(err))
        return err.findtext(".//{*}Message")

    def test_sqs_presigned(self):
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName="presigned")["QueueUrl"]
        link = sqs.generate_presigned_url("get_queue_url", Params={"QueueName": "presigned"})
        self.assertIn("X-Amz-Signature=", link)
        self.assertEqual(self.xml(link, 200).findtext(".//{*}QueueUrl"), url)
        body = "hi there ü+/*~ & = %41"
        link = sqs.generate_presigned_url(
            "send_message", Params={"QueueUrl": url, "MessageBody": body,
                                    "MessageAttributes": {"k": {"DataType": "String",
                                                                "StringValue": "v w"}}})
        sent = self.xml(link, 200)
        self.assertEqual(sent.findtext(".//{*}MD5OfMessageBody"),
                         hashlib.md5(body.encode()).hexdigest())
        queues = self.xml(sqs.generate_presigned_url("list_queues"), 200)
        self.assertIn(url, [e.text for e in queues.findall(".//{*}QueueUrl")])
        # a GET to the queue URL itself (Java v1 / .NET style), presigned for one minute
        got = self.xml(presign_at(url + "?Action=ReceiveMessage&Version=2012-11-05"
                                  "&MessageAttributeName.1=All", "sqs", "the-secret",
                                  datetime.datetime.utcnow(), 60, method="GET"), 200, method="GET")
        self.assertEqual(got.findtext(".//{*}Body"), body)
        self.assertEqual(got.findtext(".//{*}MessageAttribute/{*}Value/{*}StringValue"), "v w")
        # signed an hour ago for two hours: still good, although past the 15-minute window
        hour_ago = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
        self.xml(presign_at(self.url + "/?Action=ListQueues&Version=2012-11-05", "sqs",
                            "the-secret", hour_ago, 7200), 200)

    def test_sns_presigned(self):
        sns = self.client("sns")
        link = sns.generate_presigned_url("create_topic", Params={"Name": "presigned-topic"})
        arn = self.xml(link, 200).findtext(".//{*}TopicArn")
        self.assertEqual(arn, "arn:aws:sns:%s:%s:presigned-topic" % (REGION, ACCOUNT))
        topics = self.xml(sns.generate_presigned_url("list_topics"), 200)
        self.assertIn(arn, [e.text for e in topics.findall(".//{*}TopicArn")])

    def test_refused(self):
        for service, method in (("sqs", "list_queues"), ("sns", "list_topics")):
            with self.subTest(service=service):
                good = self.client(service).generate_presigned_url(method)
                sig = good.rindex("X-Amz-Signature=") + len("X-Amz-Signature=")
                tampered = good[:sig] + ("0" if good[sig] != "0" else "1") + good[sig + 1:]
                self.error(tampered, 403, "SignatureDoesNotMatch")
                self.error(good + "&Extra=1", 403, "SignatureDoesNotMatch")  # unsigned
                self.error(self.client(service, "wrong-secret").generate_presigned_url(method),
                           403, "SignatureDoesNotMatch")
                self.error(self.client(service, "x", akid="AKIDNOBODY").generate_presigned_url(
                    method), 403, "InvalidClientTokenId")
                # malformed: the scope cut short, a parameter missing, an expiry past a week
                cut = good.replace("%2Faws4_request", "")
                self.assertIn("5 slash-delimited",
                              self.error(cut, 403, "IncompleteSignature"))
                self.assertIn("'X-Amz-Signature'",
                              self.error(good[:sig - len("&X-Amz-Signature=")], 403,
                                         "IncompleteSignature"))
                self.error(good.replace("X-Amz-Expires=3600", "X-Amz-Expires=604801"), 403,
                           "IncompleteSignature")
                # both a header signature and query auth: refused, not one picked
                both = "AWS4-HMAC-SHA256 Credential=AKIDPY/20261125/us-east-1/%s/aws4_request, " \
                       "SignedHeaders=host, Signature=%s" % (service, "0" * 64)
                self.assertIn("Found both", self.error(good, 403, "SignatureDoesNotMatch",
                                                       headers={"Authorization": both}))
                # dated 20 minutes ahead: refused like a header signature that far ahead
                ahead = datetime.datetime.utcnow() + datetime.timedelta(minutes=20)
                url = self.url + ("/?Action=ListQueues&Version=2012-11-05" if service == "sqs"
                                  else "/?Action=ListTopics&Version=2010-03-31")
                self.error(presign_at(url, service, "the-secret", ahead, 3600), 403,
                           "SignatureDoesNotMatch")
                # signed an hour ago for ten minutes
                hour_ago = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
                self.assertIn("Request has expired",
                              self.error(presign_at(url, service, "the-secret", hour_ago, 600),
                                         400, "RequestExpired"))

    def test_malformed_header(self):
        """An AWS4-* Authorization header that does not parse is IncompleteSignature, as for a
        query; another scheme counts as no signature at all."""
        url = self.url + "/?Action=ListQueues&Version=2012-11-05"
        bad = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDPY/20261125/us-east-1/sqs"}
        self.assertIn("'Credential'", self.error(url, 403, "IncompleteSignature", headers=bad))
        self.error(url, 403, "MissingAuthenticationToken", headers={"Authorization": "Bearer x"})
        self.error(url, 403, "MissingAuthenticationToken")

    def test_expired(self):
        links = [self.client(service).generate_presigned_url(method, ExpiresIn=1)
                 for service, method in (("sqs", "list_queues"), ("sns", "list_topics"))]
        time.sleep(2.1)
        for link in links:
            self.error(link, 400, "RequestExpired")

    def test_without_keys(self):
        """Without access keys a presigned URL is accepted like any request, whatever its
        signature; its access key still names the sender."""
        with Hub(config={"aws": {}, "logLevel": "warn"}) as hub:
            sqs = boto3.client("sqs", endpoint_url=hub.url, region_name=REGION,
                               aws_access_key_id="AKIDLINK", aws_secret_access_key="anything")
            self.clients.append(sqs)
            url = sqs.create_queue(QueueName="presigned-open")["QueueUrl"]
            link = sqs.generate_presigned_url("send_message",
                                              Params={"QueueUrl": url, "MessageBody": "by link"})
            status, _, text = fetch(link[:-1] + ("0" if link[-1] != "0" else "1"))
            self.assertEqual(status, 200, text)
            m = sqs.receive_message(QueueUrl=url, AttributeNames=["SenderId"])["Messages"][0]
            self.assertEqual((m["Body"], m["Attributes"]["SenderId"]), ("by link", "AKIDLINK"))

    def test_json_protocol(self):
        """SQS JSON (X-Amz-Target) with query auth: the signer moves the JSON members into the
        query and signs the headers it keeps; errors have the JSON shape."""
        url = self.client("sqs").create_queue(QueueName="presigned-json")["QueueUrl"]
        headers = {"X-Amz-Target": "AmazonSQS.ListQueues",
                   "Content-Type": "application/x-amz-json-1.0"}
        now = datetime.datetime.utcnow()
        link = presign_at(self.url + "/", "sqs", "the-secret", now, 60, headers=headers)
        status, _, text = fetch(link, headers=headers)
        self.assertEqual(status, 200, text)
        self.assertIn(url, json.loads(text)["QueueUrls"])
        old = presign_at(self.url + "/", "sqs", "the-secret",
                         now - datetime.timedelta(hours=1), 60, headers=headers)
        status, got_headers, text = fetch(old, headers=headers)
        self.assertEqual(status, 400, text)
        self.assertEqual(got_headers["x-amzn-query-error"], "RequestExpired;Sender")
        self.assertEqual(json.loads(text)["__type"], "com.amazon.coral.service#RequestExpired")
        status, got_headers, text = fetch(link.replace("X-Amz-Expires=60", "X-Amz-Expires=61"),
                                          headers=headers)
        self.assertEqual(status, 403, text)
        self.assertEqual(got_headers["x-amzn-query-error"], "SignatureDoesNotMatch;Sender")
        self.assertEqual(json.loads(text)["__type"],
                         "com.amazon.coral.service#SignatureDoesNotMatch")


if __name__ == "__main__":
    unittest.main()
