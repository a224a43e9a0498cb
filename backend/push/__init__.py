"""Web push: VAPID keys, subscriptions and sending (RFC 8030 / 8291 / 8292)."""

from __future__ import annotations

from flask import Flask

from .sender import Sender
from .vapid import signer


def sender_for(app: Flask, workers: int = 8) -> Sender:
    """The process's push sender: one HTTP session and thread pool, shared by every send."""
    existing = app.extensions.get("between_push_sender")
    if existing is None:
        existing = app.extensions["between_push_sender"] = Sender(signer(app), workers=workers)
    return existing
