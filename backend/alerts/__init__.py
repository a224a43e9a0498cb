"""Telling a person: a new red flag or "worse after exercise" reaches the lead practitioner
(email and, if they allowed it, web push), and an unacknowledged red flag reaches the clinic's
owner(s) after the clinic's ``escalation_hours``. No health data leaves in a message."""
