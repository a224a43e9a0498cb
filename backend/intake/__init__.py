"""Intake: the questionnaire before the first session, held as data (``form.py``)."""
