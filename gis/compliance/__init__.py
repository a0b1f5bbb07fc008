"""Compliance: the checklist catalogue (data), the rules that turn visits and violations into a
segment's compliance state at a date, and the services that record visits and violations."""
