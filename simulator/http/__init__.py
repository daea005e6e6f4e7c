"""The HTTP layer's shared parts: blueprint helpers, JSON answers, ETags and the admin guard."""
