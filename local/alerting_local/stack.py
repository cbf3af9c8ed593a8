"""The whole system on one machine: moto's server on 127.0.0.1, resources from the template,
and the real handlers invoked as Lambda would invoke them.

Used by ``make demo``, ``make serve`` and the end-to-end tests::

    with LocalStack() as local:
        local.seed_default_rules()
        local.api("POST", "/rules", body={...})
        local.tick(now)           # the evaluator on its scheduled event
        local.pump()              # the alerts stream → the notifier, as the event source mapping does
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from alerting.defaults import parse_dimensions
from alerting.errors import NotFound
from alerting.kinds import CHANNEL
from alerting.models.common import utcnow
from alerting.repositories import clients
from alerting.repositories.config import ConfigRepository, RunLog
from alerting.repositories.secrets import SecretStore
from alerting_local import roles
from alerting_local.apigw import proxy_event
from alerting_local.eventbridge import AlarmEvents
from alerting_local.inbox import Hook, Hooks, Inbox, MotoOutbox, destination_of
from alerting_local.lambda_runtime import CallLog, LambdaContext, load_handler
from alerting_local.live import LiveHub
from alerting_local.loopback import LOOPBACK_NAMES
from alerting_local.queues import QueueMapping
from alerting_local.receiver import Receiver
from alerting_local.streams import StreamMapping
from alerting_local.template import ROOT, Stack, create_stack
from notifier.stages.route import TOPIC_CHANNEL_ID

REGION = "us-east-1"
CLOUDFORMATION_RESPONSE = "/cloudformation-response"  # the custom resource's answer, on the receiver
SCHEDULED_EVENT = json.loads((ROOT / "events" / "scheduled.json").read_text())
FUNCTIONS = (
    "EvaluatorFunction",
    "EvaluatorWorkerFunction",
    "NotifierFunction",
    "ApiFunction",
    "DefaultRulesSeedFunction",
    "LiveConnectionsFunction",
    "BroadcasterFunction",
    "AlarmIngestFunction",
    "IngestApiFunction",
)
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


class _Atomic:
    """Serialise requests into moto: AWS applies each request atomically; moto's backends
    are not thread-safe, and the local API and scheduler run in threads."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            return list(self._app(environ, start_response))


class MotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = _Atomic(DomainDispatcherApplication(create_backend_app))
        self.lock = app.lock  # held while moto serves a request: read its backends under it
        self._server: BaseWSGIServer = make_server(host, port, app, True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


def _simulated_sqs_clock() -> Callable[[], None]:
    """moto's SQS times message delays and visibility by the wall clock; read the handlers'
    clock instead (``alerting.models.common.set_clock``), so a delayed retry round comes due
    when simulated time reaches it. Returns the undo."""
    import moto.sqs.models as sqs_models

    names = ("unix_time", "unix_time_millis")
    saved = {name: getattr(sqs_models, name) for name in names}
    setattr(sqs_models, "unix_time", lambda *_: utcnow().timestamp())  # noqa: B010 (not exported)
    setattr(sqs_models, "unix_time_millis", lambda *_: utcnow().timestamp() * 1000)  # noqa: B010

    def undo() -> None:
        for name, value in saved.items():
            setattr(sqs_models, name, value)

    return undo


class LocalStack:
    """moto + the template's resources + the real handlers, in this process."""

    def __init__(
        self, overrides: dict[str, str] | None = None, name: str = "alerting-local", live_port: int = 0
    ) -> None:
        self.server = MotoServer()
        self.receiver = Receiver()
        # One invocation at a time, as one warm container of each function runs them; the API
        # server, the live hub and the scheduler call handlers from their own threads.
        self.lock = threading.RLock()
        self.live = LiveHub(
            lambda event: self.handler("LiveConnectionsFunction")(event, LambdaContext("live")), port=live_port
        )
        self.calls = CallLog()  # what each function's handler called, for the IAM check
        # what the stand-ins received: collected after every invocation (moto keeps no send times)
        self.inbox = Inbox(
            self.receiver,
            self.channel_hooks,
            MotoOutbox(self.server.lock, DEFAULT_ACCOUNT_ID, REGION),
            ignore=(CLOUDFORMATION_RESPONSE,),
        )
        # No Cognito locally: the dashboard on 127.0.0.1 needs no sign-in.
        self._overrides = {"AllowPrivateWebhookTargets": "true", "DashboardSignIn": "false", **(overrides or {})}
        self._name = name
        self._saved_env: dict[str, str | None] = {}
        self.stack: Stack
        self.stream: StreamMapping
        self.retries: QueueMapping
        self.alarm_events: AlarmEvents

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> LocalStack:
        self._restore_sqs_clock = _simulated_sqs_clock()
        self.server.start()
        # moto's backends live in this process: start from a clean account every time
        requests.post(f"{self.server.endpoint}/moto-api/reset", timeout=10).raise_for_status()
        self.receiver.start()
        self.live.start()
        self._set_env({**CREDENTIALS, "AWS_ENDPOINT_URL": self.server.endpoint})
        clients.client.cache_clear()
        self.calls.attach(clients.session("us-east-1"))  # the handlers' clients come from it
        self.stack = create_stack(self.client, name=self._name, overrides=self._overrides)
        self._set_env(self.functions_environment())
        # The WebSocket API's stage is the local hub: where browsers connect, and where the
        # broadcaster's management client posts.
        self._set_env({"LIVE_ENDPOINT": self.live.endpoint, "LIVE_URL": self.live.url})
        sender = self.stack.parameters["EmailSender"]
        self.client("ses").verify_email_identity(EmailAddress=sender)  # an operator's step on AWS
        self.retries = QueueMapping(
            self.stack, "NotifierFunction", "DeliveryRetries", self.client("sqs"), self.handler("NotifierFunction")
        )
        self.shards = QueueMapping(
            self.stack, "EvaluatorWorkerFunction", "Shards", self.client("sqs"), self.handler("EvaluatorWorkerFunction")
        )
        self.stream = StreamMapping(
            self.stack,
            "NotifierFunction",
            "AlertsStream",
            self.client("dynamodbstreams"),
            self.client("sqs"),
            self.handler("NotifierFunction"),
        )
        # EventBridge's alarm state changes (to AlarmIngestFunction): moto's alarms, watched at every pump
        self.alarm_events = AlarmEvents(self.stack, self.client("cloudwatch"), self.client("sqs"), self.handler)
        self.live_stream = StreamMapping(
            self.stack,
            "BroadcasterFunction",
            "AlertsStream",
            self.client("dynamodbstreams"),
            self.client("sqs"),
            self.handler("BroadcasterFunction"),
        )
        return self

    def stop(self) -> None:
        self.calls.detach(clients.session("us-east-1"))
        self.live.stop()
        self.receiver.stop()
        self.server.stop()
        self._restore_sqs_clock()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        clients.client.cache_clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _set_env(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def link_to(self, ingest_url: str) -> None:
        """Where messages link to the ingest API (e-mail's and SMS's acknowledge links): the web
        front that serves it here (`make serve`), not the template's execute-api URL."""
        self._set_env({"INGEST_URL": ingest_url})

    def functions_environment(self) -> dict[str, str]:
        """Every function's environment from the template, merged: the functions share this
        process, so their variables must agree (the service name is the one that may differ)."""
        merged: dict[str, str] = {}
        for logical_id in FUNCTIONS:
            for name, value in self.stack.function_environment(logical_id).items():
                if name == "POWERTOOLS_SERVICE_NAME":
                    continue
                if merged.get(name, value) != value:
                    raise RuntimeError(f"{name} differs between functions: {merged[name]!r} vs {value!r}")
                merged[name] = value
        return merged

    # -- AWS and the functions ---------------------------------------------------------------------
    def client(self, service: str) -> Any:
        return clients.client(service, "us-east-1", self.server.endpoint)

    def handler(self, logical_id: str) -> Any:
        inner = load_handler(self.stack.handler_of(logical_id), logical_id)

        def invoke(event: dict[str, Any], context: Any) -> Any:
            with self.lock:
                try:
                    return inner(event, context)
                finally:
                    self.inbox.collect()

        return invoke

    def tick(self, now: datetime) -> dict[str, Any]:
        """The evaluator, on the scheduled event EventBridge sends for `now`; a tick it splits
        into shards is evaluated by the workers at once (as the queue's mapping would), and the
        summary returned is the tick's, the shards' merged in."""
        event = {**SCHEDULED_EVENT, "time": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
        result: dict[str, Any] = self.handler("EvaluatorFunction")(event, LambdaContext("evaluator"))
        if result.get("shards"):
            self.shards.drain()
            merged = RunLog(self.client("dynamodb"), self.stack.refs["ConfigTable"]).last()
            result = merged.model_dump(mode="json") if merged else result
        return result

    def pump(self) -> list[dict[str, Any]]:
        """Alarms whose state changed → the alarm ingest function (EventBridge's rule); new
        alert-stream records to the live broadcaster; then those records and due delivery
        retries → the notifier, honouring batchItemFailures, as the event source mappings
        would. Returns the notifier's answers."""
        self.alarm_events.poll()
        self.pump_live()
        self.stream.poll()
        return self.stream.drain() + self.retries.drain()

    def pump_live(self) -> list[dict[str, Any]]:
        """New alert-stream records → the broadcaster → connected dashboards."""
        self.live_stream.poll()
        return self.live_stream.drain()

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """The API's function, as API Gateway calls it: signed by the local IAM user, or by a
        dashboard role's user (``X-Local-Role`` in ``headers``; that role's IAM check first)."""
        event = proxy_event(method, path, body=body, query=query, headers=headers)
        refused = roles.sign_in(event, roles.role_in(headers))
        if refused is not None:
            return 403, json.loads(refused["body"])
        return self._answer("ApiFunction", event)

    def ingest(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """The ingest API's function, as API Gateway calls it (a key in ``headers`` or the path)."""
        return self._answer("IngestApiFunction", proxy_event(method, path, body=body, headers=headers))

    def _answer(self, function: str, event: dict[str, Any]) -> tuple[int, Any]:
        """The status and (JSON) body of ``function``'s answer to an API Gateway ``event``."""
        response = self.handler(function)(event, LambdaContext(function))
        payload = response.get("body") or ""
        try:
            parsed = json.loads(payload) if payload else None
        except json.JSONDecodeError:
            parsed = payload
        return int(response["statusCode"]), parsed

    def seed_default_rules(self) -> str:
        """The template's `DefaultRules` custom resource, as CloudFormation invokes it on create."""
        resource = self.stack.template["Resources"]["DefaultRules"]["Properties"]
        event = {
            "RequestType": "Create",
            "ResponseURL": self.receiver.url(CLOUDFORMATION_RESPONSE),
            "StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{self._name}/local",
            "RequestId": "seed",
            "ResourceType": "Custom::DefaultRules",
            "LogicalResourceId": "DefaultRules",
            "ResourceProperties": {k: self.stack.resolve(v) for k, v in resource.items()},
        }
        self.handler("DefaultRulesSeedFunction")(event, LambdaContext("seeder"))
        (response,) = self.receiver.received(CLOUDFORMATION_RESPONSE)
        status: str = response.json["Status"]
        return status

    def subscribe_queue(self, name: str) -> str:
        """A new SQS queue subscribed to the alerts topic (raw delivery); returns its URL."""
        sqs, sns = self.client("sqs"), self.client("sns")
        url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=self.stack.refs["AlertsTopic"],
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        return url

    def channel_hooks(self) -> Hooks:
        """Which channel each stand-in's message came from: a post by the path of the receiver
        its URL (a secret in SSM) names, a message by its addresses, number or topic; and every
        channel secret, which the inbox never shows."""
        table = self.stack.refs["ConfigTable"]
        channels = ConfigRepository(self.client("dynamodb"), table, CHANNEL)
        store = SecretStore(self.client("ssm"), self.stack.function_environment("NotifierFunction")["SECRETS_PREFIX"])
        by_path: dict[str, Hook] = {}
        by_destination = {("sns", self.stack.refs["AlertsTopic"]): Hook(TOPIC_CHANNEL_ID, "sns")}
        secrets: list[str] = []
        for channel in channels.all():
            hook = Hook(channel.channel_id, channel.type.value)
            destination = destination_of(channel.type, channel.target)
            if destination is not None:
                by_destination[(hook.kind, destination)] = hook
            for name in channel.secret_refs.values():
                try:
                    value = store.get(name)
                except NotFound:
                    continue
                secrets.append(value)
                url = urlsplit(value)
                if url.hostname in LOOPBACK_NAMES and url.port == self.receiver.port:
                    by_path[url.path] = hook
        return Hooks(by_path, by_destination, secrets)

    def sent_emails(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)

    def sent_sms(self) -> list[tuple[str, str]]:
        """(phone number, text) of every SMS published, oldest first."""
        from moto.sns.models import sns_backends

        sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
        return [(number, text) for number, text, *_ in sent]

    def put_metric(
        self,
        name: str,
        value: float,
        at: datetime,
        dimensions: dict[str, str] | None = None,
        namespace: str | None = None,
    ) -> None:
        """A datapoint, by default in the default rules' namespace and dimensions."""
        namespace = namespace or self.stack.parameters["DefaultRulesNamespace"]
        dims = (
            dimensions if dimensions is not None else parse_dimensions(self.stack.parameters["DefaultRulesDimensions"])
        )
        self.client("cloudwatch").put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": name,
                    "Value": value,
                    "Timestamp": at,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                }
            ],
        )
