"""The BMT's pages and API for the monthly pipeline, and the SPoC's acknowledgement."""
