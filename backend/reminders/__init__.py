"""Reminders between sessions: due times in local time, the outbox, the clock process."""
