"""This computer's USB devices through libusb (python-libusb1): listing, hotplug, and a UsbDevice for the
usb-host state machine (protocol/usbredir/passthrough.py)."""
