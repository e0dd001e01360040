"""QtCore-only glue between the engine and the views: workers, token pump, round scheduler."""
