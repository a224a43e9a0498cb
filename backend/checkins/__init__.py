"""The daily check-in: pain, where and how it feels, sitting time, red-flag questions."""
