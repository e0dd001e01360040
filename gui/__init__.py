"""GGUF Arena: two local GGUF models side by side, measured honestly and rated blind."""

__version__ = "0.1.0"
