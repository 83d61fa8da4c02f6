"""Figures and documents for people: the dashboard's KPIs and the auditors' exports."""
