"""The helpline console, its JSON API for telephony or a CRM, and the security team's locks."""
