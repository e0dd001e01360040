"""Headless sub-commands of `python -m gui`: batch, smoke, screenshots."""
