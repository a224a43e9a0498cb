"""Accounts: logging in and out, invites, password hashing, throttling."""
