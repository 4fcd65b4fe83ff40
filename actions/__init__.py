"""Custom actions, grouped by capability. Actions stay thin: they call `bot/` services."""
