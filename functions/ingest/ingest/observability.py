"""The ingest API's Powertools logger, tracer and metrics: one instance each, shared by its modules."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from alerting.settings import quiet_wire_logs

logger = Logger()
tracer = Tracer(patch_modules=["boto3", "botocore"])
quiet_wire_logs()  # before the first request: the resolver logs a route's arguments at DEBUG, a ping's key among them
metrics = Metrics()
