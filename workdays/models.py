"""Working-day calendar (see workdays/calendar.py)."""
