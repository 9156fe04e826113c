"""Real SPICE servers on 127.0.0.1 for tests, benchmarks and the demo (stdlib + numpy + cryptography, no Qt).

- `xspice.XspiceServer`: Xspice (Xorg + spiceqxl) with compression, TLS, password, heads, agent, audio FIFOs
- `qemu.QemuServer` (+ `qmp.Qmp`): QEMU with qxl heads, agent port, audio, migration, screendump
- `xvfb.XvfbServer`: a virtual X display for the client side
- `xwd`: ground truth (`capture(":N")` -> (H, W, 4) B,G,R,0xFF) and, via `pixels`, PNG/PPM I/O, compare, PSNR
- `scenes`: real X drawing (photo, text, shapes), `hide_cursor`, `wait_idle`
- `reference.spicy_screenshot`: spice-gtk's picture of a server, the reference client
- `certs`: throwaway CA / server certificates (and wrong ones); `ports`: free ports and X displays
- `procs`: start in a new session, stop by PID; `requirements.require`: skip locally, fail on CI
"""
