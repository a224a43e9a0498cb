"""Web push: VAPID keys, subscriptions and sending (RFC 8030 / 8291 / 8292)."""
