"""The shared core of the alerting system: models, pure evaluation, and AWS adapters.

Packaged as a Lambda layer (``layers/common``); every function imports from here.
"""

__version__ = "0.1.0"
