"""media_info reads sizes, types, dimensions and durations from real file headers."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.platforms.media_info import human_size, image_dimensions, media_facts, mime_for


def png_bytes(width: int, height: int, extra: int = 0) -> bytes:
    """A valid PNG header (signature + IHDR with its CRC), padded to make a file bigger."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + b"\0" * extra


def jpeg_bytes(width: int, height: int, exif_len: int = 0) -> bytes:
    """SOI, an APP1 (EXIF-like) segment, a DHT (no size!), then SOF2 with the frame size."""
    app1 = b"\xff\xe1" + struct.pack(">H", exif_len + 2) + b"E" * exif_len
    dht = b"\xff\xc4" + struct.pack(">H", 5) + b"\0\0\0"
    sof = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, height, width, 3) + b"\0" * 3
    return b"\xff\xd8" + app1 + dht + sof + b"\xff\xd9"


def gif_bytes(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\0" * 20


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4_bytes(duration_s: float, width: int, height: int, *, version: int = 0,
              mdat: int = 1000) -> bytes:
    """ftyp, a big mdat BEFORE moov (as many encoders write), then moov/mvhd + trak/tkhd."""
    timescale = 600
    ticks = int(duration_s * timescale)
    if version == 1:
        mvhd = bytes([1, 0, 0, 0]) + struct.pack(">QQIQ", 0, 0, timescale, ticks) + b"\0" * 80
    else:
        mvhd = bytes(4) + struct.pack(">IIII", 0, 0, timescale, ticks) + b"\0" * 80
    audio_tkhd = bytes(76) + struct.pack(">II", 0, 0)
    video_tkhd = bytes(76) + struct.pack(">II", width << 16, height << 16)
    moov = box(b"moov", box(b"mvhd", mvhd) + box(b"trak", box(b"tkhd", audio_tkhd))
               + box(b"trak", box(b"tkhd", video_tkhd)))
    return box(b"ftyp", b"isom\0\0\0\0isom") + box(b"mdat", b"\0" * mdat) + moov


def test_png_size_type_and_dimensions_come_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes(1200, 675, extra=5000))
    facts = media_facts(path)
    assert (facts.size, facts.mime, facts.width, facts.height) == (
        path.stat().st_size, "image/png", 1200, 675)
    assert facts.is_image and not facts.is_video and facts.duration_s is None


def test_jpeg_dimensions_are_found_past_a_large_exif_block(tmp_path: Path) -> None:
    path = tmp_path / "camera.JPG"
    path.write_bytes(jpeg_bytes(4032, 3024, exif_len=20000))
    facts = media_facts(path)
    assert (facts.mime, facts.width, facts.height) == ("image/jpeg", 4032, 3024)


def test_gif_is_an_image_that_says_it_is_a_gif(tmp_path: Path) -> None:
    path = tmp_path / "loop.gif"
    path.write_bytes(gif_bytes(320, 240))
    facts = media_facts(path)
    assert facts.is_gif and (facts.width, facts.height) == (320, 240)


def test_webp_lossy_lossless_and_extended_headers_all_give_dimensions() -> None:
    lossy = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0" + b"\0\0\0\x9d\x01\x2a" + struct.pack("<HH", 640, 480)
    bits = (800 - 1) | ((600 - 1) << 14)
    lossless = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f" + bits.to_bytes(4, "little")
    extended = (b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0" + b"\0" * 4 + (1919).to_bytes(3, "little")
                + (1079).to_bytes(3, "little"))
    assert image_dimensions(lossy) == (640, 480)
    assert image_dimensions(lossless) == (800, 600)
    assert image_dimensions(extended) == (1920, 1080)


def test_mp4_duration_and_video_track_size_come_from_moov_after_mdat(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(mp4_bytes(12.5, 1280, 720, mdat=200_000))
    facts = media_facts(path)
    assert facts.is_video and facts.duration_s == 12.5
    assert (facts.width, facts.height) == (1280, 720)
    assert facts.aspect_ratio is not None and abs(facts.aspect_ratio - 16 / 9) < 1e-9


def test_mp4_version_1_mvhd_with_64_bit_duration_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.mov"
    path.write_bytes(mp4_bytes(7200.0, 1920, 1080, version=1))
    facts = media_facts(path)
    assert facts.mime == "video/quicktime" and facts.duration_s == 7200.0


def test_unknown_or_truncated_files_give_none_not_errors(tmp_path: Path) -> None:
    for name, data in [("notes.qqzz", b"hello"), ("cut.png", b"\x89PNG\r\n\x1a\n\0\0"),
                       ("cut.jpg", b"\xff\xd8\xff\xe1\xff\xff"), ("cut.mp4", b"\0\0\0\x08ftyp")]:
        path = tmp_path / name
        path.write_bytes(data)
        facts = media_facts(path)
        assert facts.size == len(data)
        assert (facts.width, facts.height, facts.duration_s) == (None, None, None)
        assert facts.aspect_ratio is None
    assert media_facts(tmp_path / "notes.qqzz").mime is None


def test_a_missing_file_raises_oserror(tmp_path: Path) -> None:
    try:
        media_facts(tmp_path / "gone.png")
    except OSError:
        return
    raise AssertionError("expected OSError")


def test_mime_comes_from_the_extension_case_insensitively() -> None:
    assert mime_for("A.PNG") == "image/png"
    assert mime_for("b.jpeg") == "image/jpeg"
    assert mime_for("c.mp4") == "video/mp4"


def test_human_size_uses_decimal_units_like_platform_docs() -> None:
    assert human_size(17) == "17 B"
    assert human_size(512_000) == "512 KB"
    assert human_size(6_100_000) == "6.1 MB"
    assert human_size(5_000_000) == "5 MB"
    assert human_size(2_500_000_000) == "2.5 GB"


@settings(max_examples=60, deadline=None)
@given(w=st.integers(1, 65535), h=st.integers(1, 65535))
def test_any_png_jpeg_or_gif_size_round_trips(w: int, h: int) -> None:
    assert image_dimensions(png_bytes(w, h)) == (w, h)
    assert image_dimensions(jpeg_bytes(w, h, exif_len=10)) == (w, h)
    assert image_dimensions(gif_bytes(w, h)) == (w, h)


def bmp_bytes(width: int, height: int) -> bytes:
    """A BMP file header and BITMAPINFOHEADER (bottom-up rows, 24 bits)."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


def tiff_bytes(width: int, height: int) -> bytes:
    """A little-endian TIFF with an IFD holding ImageWidth and ImageLength."""
    entries = [struct.pack("<HHII", 256, 4, 1, width), struct.pack("<HHII", 257, 4, 1, height)]
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2) + b"".join(entries) + bytes(4)


def test_bmp_and_tiff_dimensions_are_read_too(tmp_path: Path) -> None:
    # Both were in the mime table but their sizes were never read (None), so an
    # oversized BMP or TIFF passed every dimension check unseen.
    for name, data, size in [("scan.bmp", bmp_bytes(4000, 3000), (4000, 3000)),
                             ("scan.tiff", tiff_bytes(5000, 7000), (5000, 7000))]:
        path = tmp_path / name
        path.write_bytes(data)
        facts = media_facts(path)
        assert facts.is_image and (facts.width, facts.height) == size, name


def test_reading_media_facts_does_not_load_the_image_library_at_import() -> None:
    import subprocess
    import sys

    code = ("import sys, socialhub.platforms.media_info; "
            "print('imagesize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
