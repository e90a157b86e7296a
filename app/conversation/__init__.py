"""The WhatsApp qualification conversation: reading free-text answers and keeping PII out of them."""
