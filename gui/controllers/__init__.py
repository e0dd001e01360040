"""Controllers on the GUI thread: they wire the bridge's sides to the views and the store (chat, rating, batches, results)."""
