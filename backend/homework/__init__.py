"""Homework: exercises from the library, assigned with a dosage, and each time it is done."""
