"""The monthly pipeline: issue a cycle's codes (rotation, issuing, the document
workers), send and acknowledge them (notifications, acknowledgement, reminders,
resends, new SPoCs), activate them on the Monday, and say where a cycle stands
(status, dashboard, summary)."""
