"""Choosing the WhatsApp provider from the app's settings, and keeping one per process.

``WHATSAPP_PROVIDER`` names the provider (``meta``, the default, or ``wati``); without its
credentials there is no channel and replies are recorded rather than sent. The send worker asks
``shared_channel`` in every delivery job, so the provider's HTTP connection stays open between sends.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from app.channels.messages import Channel
from app.channels.meta import MetaCloudChannel
from app.channels.wati import WatiChannel


def channel_from_config(config: Mapping[str, Any]) -> Channel | None:
    """The configured provider (``WHATSAPP_PROVIDER=meta|wati``), or None without credentials
    (replies are then recorded, not sent)."""
    if config.get("WHATSAPP_PROVIDER", "meta") == "wati":
        return WatiChannel.from_config(config)
    return MetaCloudChannel.from_config(config)


_channel_lock = threading.Lock()
_channel: tuple[tuple, Channel | None] | None = None  # (the settings it was built from, channel)


def _channel_settings(config: Mapping[str, Any]) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in config.items() if k.startswith(("WHATSAPP_", "WATI_API_"))))


def shared_channel(config: Mapping[str, Any]) -> Channel | None:
    """``channel_from_config(config)``, built once per process and reused while the settings stay
    the same: its HTTP client keeps the connection to the provider open between sends, instead of
    loading the CA bundle and connecting again for every reply."""
    global _channel
    settings = _channel_settings(config)
    with _channel_lock:
        if _channel is None or _channel[0] != settings:
            if _channel is not None and _channel[1] is not None:
                _channel[1].close()
            _channel = (settings, channel_from_config(config))
        return _channel[1]
