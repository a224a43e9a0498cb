"""What the patient app shows beyond single entries: today, progress over the course, my data."""
