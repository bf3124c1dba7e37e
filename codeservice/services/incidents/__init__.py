"""Annex B: reports from SPoCs' links or entered by the security team, their
triage, and the immediate reissue of a provider's codes."""
