"""Pydantic models at every boundary: API, table items, stream records, settings.

Import each from its module (`alerting.models.rules`, ...): importing one model never loads the others.
"""
