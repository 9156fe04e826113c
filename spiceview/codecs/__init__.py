"""Image, video and audio decoders. Each image codec lives in its own sub-package."""
