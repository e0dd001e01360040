"""Plain-Python core: no Qt, no matplotlib; unit-testable headless."""
