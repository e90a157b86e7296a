"""The broker and partner portal's domain logic (no Flask request globals)."""
