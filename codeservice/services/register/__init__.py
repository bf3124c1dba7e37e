"""The provider register: importing it, listing and finding providers."""
