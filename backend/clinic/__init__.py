"""A clinic adopts Between: the first run's setup link, the clinic's team and settings, and
the invite emails. ``service`` holds the rules (used by the web pages and the command line
alike), ``views`` the public setup and join pages, ``mail`` the invite messages, ``cli`` the
``between clinic`` commands. The owner's panel pages are in ``backend/panel/team.py``.

Nothing is imported here: ``countries`` is read by the models.
"""
