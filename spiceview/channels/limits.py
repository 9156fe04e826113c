"""Sizes the client announces to the server, as spice-gtk chooses them."""

IMAGES_CACHE_BYTES = 80 * 1024 * 1024
MIN_GLZ_WINDOW_BYTES = 12 * 1024 * 1024
MAX_GLZ_WINDOW_BYTES = 64 * 1024 * 1024
