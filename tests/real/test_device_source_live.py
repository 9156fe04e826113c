"""SoundDeviceSource on a real sound server: a tone played into PulseAudio's null sink (pacat) is captured
from the sink's monitor through PortAudio, as the record channel would capture a microphone."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from spiceview_lab.pulse import SINK, PulseNullSink

RATE = 48000

CAPTURE = """
import sys, time, threading
import numpy as np
from spiceview.audio.device_source import SoundDeviceSource
got, lock = [], threading.Lock()
def deliver(samples):
    with lock:
        got.append(samples)
source = SoundDeviceSource()
source.open(48000, 2, deliver)
print("open", flush=True)
time.sleep(float(sys.argv[1]))
source.close()
with lock:
    data = np.concatenate(got) if got else np.zeros((0, 2), np.int16)
sys.stdout.buffer.write(b"DATA" + data.astype("<i2").tobytes())
"""


pytestmark = pytest.mark.pulse


def test_microphone_capture_through_pulseaudio() -> None:
    t = np.arange(RATE * 3) / RATE
    mono = (np.sin(2 * np.pi * 660 * t) * 8000).astype(np.int16)
    pcm = np.stack([mono, mono // 2], axis=1)
    with PulseNullSink() as pulse:
        env = {**pulse.env, "PULSE_SOURCE": f"{SINK}.monitor"}
        capture = subprocess.Popen(
            [sys.executable, "-c", CAPTURE, "4"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert capture.stdout is not None
        assert capture.stdout.readline().strip() == b"open", capture.stderr.read().decode() if capture.stderr else ""
        subprocess.run(
            ["pacat", "--playback", f"--device={SINK}", "--format=s16le", f"--rate={RATE}", "--channels=2", "--raw"],
            input=pcm.tobytes(),
            env=pulse.env,
            check=True,
            timeout=30,
        )
        out, err = capture.communicate(timeout=30)
    assert capture.returncode == 0, err.decode()[-2000:]
    got = np.frombuffer(out.split(b"DATA", 1)[1], dtype="<i2").reshape(-1, 2)
    loud = np.flatnonzero(np.abs(got[:, 0]) > 2000)
    assert len(loud) > RATE, f"captured {len(got)} frames, {len(loud)} loud"
    end = loud[-1]
    last = got[end - RATE : end - RATE // 10].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(last[:, 0] * np.hanning(len(last))))
    assert abs(np.argmax(spectrum) * RATE / len(last) - 660) < 3
    ratio = np.sqrt(np.mean(last[:, 1] ** 2) / np.mean(last[:, 0] ** 2))
    assert 0.4 < ratio < 0.6
