"""The usbredir protocol (USB transfers tunnelled to one device), sans-IO: spiceview is the usb-host, the VM's
usb-redir device (QEMU) the usb-guest. Facts from usbredir's usb-redirection-protocol.md and usbredirproto.h."""
