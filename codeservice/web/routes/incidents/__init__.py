"""Annex B: the SPoC's report form and the security team's triage."""
