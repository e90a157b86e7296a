"""WhatsApp channels: parse what a provider's webhook delivers and send replies through it.

``meta`` is Meta's WhatsApp Cloud API (the default), ``wati`` is Wati; both produce the same
``InboundMessage`` / ``StatusUpdate`` records and implement the ``Channel`` protocol
(``messages``), so the conversation code never knows which provider it talks to. Both check
WhatsApp's message limits before sending (``limits``), read webhook bodies with the same helpers
(``payloads``) and post through one HTTP helper (``posting``). Phone numbers are E.164 throughout
(``phones``).
"""

from app.channels.messages import (
    Channel,
    InboundMessage,
    OutboundResult,
    PayloadError,
    SendError,
    StatusUpdate,
)
from app.channels.meta import MetaCloudChannel, parse_webhook, verify_signature
from app.channels.phones import mask_phone, normalize_phone
from app.channels.wati import WatiChannel, parse_wati_webhook, verify_wati_token

__all__ = [
    "Channel",
    "InboundMessage",
    "MetaCloudChannel",
    "OutboundResult",
    "PayloadError",
    "SendError",
    "StatusUpdate",
    "WatiChannel",
    "mask_phone",
    "normalize_phone",
    "parse_wati_webhook",
    "parse_webhook",
    "verify_signature",
    "verify_wati_token",
]
