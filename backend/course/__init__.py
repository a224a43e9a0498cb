"""The course of treatment: sessions, appointments, questionnaires."""
