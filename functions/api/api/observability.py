"""The function's Powertools logger, tracer and metrics: one instance each, shared by its modules."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer(patch_modules=["boto3", "botocore"])  # not requests: Slack webhook URLs are secrets
metrics = Metrics()
