"""Notifications: email (SMTP) and signed webhooks, sent from a durable outbox.

Producers call ``enqueue`` inside their own transaction; the scheduled jobs process calls
``delivery_job`` (``deliver_due``) to send what is due. Receivers of webhooks check them
with ``verify_signature``.
"""

from collector.notify.delivery import DeliveryResult, deliver_due, delivery_job
from collector.notify.errors import DeliveryError
from collector.notify.outbox import enqueue
from collector.notify.webhooks import verify_signature

__all__ = ["DeliveryError", "DeliveryResult", "deliver_due", "delivery_job", "enqueue", "verify_signature"]
