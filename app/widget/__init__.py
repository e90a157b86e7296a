"""The chat widget on a developer's website (``conversations``)."""
