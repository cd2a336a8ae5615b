"""SMS alerts to élus, end to end: the message's encoding and parts (``encoding``), the
recipients and their consent (``contacts``), the targeted area (``area``), the alert's life in
the operational store with four eyes and an outbox (``workflow``, ``tables``; ``labels``: its
statuses in French), the SMS gateways (``gateway``) and the worker that sends and follows
delivery reports (``worker``).

This package's modules import no Dash code; ``phones`` and ``encoding`` are pure.
"""
