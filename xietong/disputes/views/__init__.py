"""The dispute pages: disputes (lists, raise, page, actions, dashboard) and escalation ladders."""
