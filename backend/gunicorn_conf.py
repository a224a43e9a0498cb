"""gunicorn's settings for Between, the one home of the worker choice.

Used by ``between serve`` and the Procfile's ``web`` (``gunicorn -c python:backend.gunicorn_conf``).

Threaded workers (``gthread``), 32 threads each. gunicorn's default sync workers have no read
timeout: as many idle or half-sent connections as there are workers (two) stopped every
answer for about 30 s. Here a connection that sends nothing holds a thread for at most 5 s,
then waits in the worker's poller and is closed 5 s later; a half-sent request holds one
thread until its client goes away. So 20 idle phones and 10 slow clients leave the app
answering in milliseconds (tests/test_serve.py), but some 60 half-sent requests at once
would still take every thread: anything reachable from the internet needs a buffering proxy
in front (Caddy, see the README), which reads a whole request before gunicorn sees it.
"""

from __future__ import annotations

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "32"))
# Kept-alive connections cost a poller slot, not a thread; closed after 5 s of silence.
keepalive = 5
timeout = 30
graceful_timeout = 20
accesslog = "-"
# gunicorn 25+ opens a control socket in $HOME by default: one per user, which a second
# server (or a test run beside a real one) would fight over. Between does not use it.
control_socket_disable = True
