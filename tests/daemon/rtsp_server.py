"""A real RTSP server for tests and benchmarks: Debian's GStreamer RTSP server.

Run with Debian's ``/usr/bin/python3`` (it has ``gi``; the project's Python does not):

    /usr/bin/python3 rtsp_server.py serve --port 8554 cam1=clip1.mkv cam2=clip2.mkv
    /usr/bin/python3 rtsp_server.py encode in.avi out.mkv   # any video -> H.264 Matroska

``serve`` prints ``READY <port>`` once listening; each mount point plays its H.264
clip in real time (no re-encoding, so many cameras are cheap to serve) to every client.
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def encode(src: str, dst: str, gop: int = 25) -> int:
    """Transcode any video file to H.264 (baseline-ish, zero latency) in Matroska."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{src}" ! decodebin ! videoconvert ! video/x-raw,format=I420 ! '
        f"x264enc tune=zerolatency speed-preset=veryfast key-int-max={gop} bitrate=3000 ! "
        f'h264parse ! matroskamux ! filesink location="{dst}"'
    )
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        err, _ = msg.parse_error()
        print(f"encode failed: {err.message}", file=sys.stderr)
        return 1
    return 0


def serve(port: int, mounts: list) -> int:
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    table = server.get_mount_points()
    for name, path in mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            f'( filesrc location="{path}" ! matroskademux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'
        )
        factory.set_shared(False)
        table.add_factory(f"/{name}", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{port}", file=sys.stderr)
        return 1
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()
    return 0


def main(argv: list) -> int:
    Gst.init(None)
    if argv[:1] == ["encode"] and len(argv) == 3:
        return encode(argv[1], argv[2])
    if argv[:1] == ["serve"] and len(argv) >= 4 and argv[1] == "--port":
        mounts = [tuple(a.split("=", 1)) for a in argv[3:]]
        return serve(int(argv[2]), mounts)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
