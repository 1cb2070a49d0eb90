"""Small shared helpers with no AWS logic of their own."""
